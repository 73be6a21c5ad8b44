#!/usr/bin/python3
"""Exports the models real users bring to bcd: torchvision's classification models,
a torch.nn.TransformerEncoder and a BERT-base-like encoder built from torch.nn, with
PyTorch's standard ONNX exporter at opsets 13 and 17, random weights, batch 1.

    /usr/bin/python3 bench/exporters/export_models.py OUT_DIR [--only NAME,...] [--opsets 13,17]

Writes OUT_DIR/<model>.opset<N>.onnx and OUT_DIR/<model>.input.npy (one float32
input per model, seeded), and prints one line per file. Needs Debian's python3-torch
and python3-torchvision (see bench/exporters/README.md).
"""
import argparse
import os
import sys

import numpy as np
import torch
import torchvision


class BertLikeEncoder(torch.nn.Module):
    """BERT-base's encoder from torch.nn parts: 12 heads of 64 over 768 features, a
    3072-wide GELU feed-forward layer, post-LayerNorm; `layers` of them."""

    def __init__(self, layers=2, hidden=768, heads=12, ffn=3072):
        super().__init__()
        self.heads, self.head = heads, hidden // heads
        self.blocks = torch.nn.ModuleList()
        for _ in range(layers):
            self.blocks.append(torch.nn.ModuleDict({
                "qkv": torch.nn.Linear(hidden, 3 * hidden), "out": torch.nn.Linear(hidden, hidden),
                "ln1": torch.nn.LayerNorm(hidden), "ff1": torch.nn.Linear(hidden, ffn),
                "ff2": torch.nn.Linear(ffn, hidden), "ln2": torch.nn.LayerNorm(hidden)}))

    def forward(self, x):  # x: [batch, tokens, hidden]
        b, t, h = x.shape
        for blk in self.blocks:
            q, k, v = blk["qkv"](x).split(h, dim=-1)
            q, k, v = (y.view(b, t, self.heads, self.head).transpose(1, 2) for y in (q, k, v))
            scores = torch.matmul(q, k.transpose(-1, -2)) / (self.head ** 0.5)
            ctx = torch.matmul(scores.softmax(dim=-1), v).transpose(1, 2).reshape(b, t, h)
            x = blk["ln1"](x + blk["out"](ctx))
            x = blk["ln2"](x + blk["ff2"](torch.nn.functional.gelu(blk["ff1"](x))))
        return x


class UpsampleNet(torch.nn.Module):
    """A decoder's upsampling path: F.interpolate nearest (x2) and bilinear (x2)."""

    def __init__(self):
        super().__init__()
        self.a = torch.nn.Conv2d(3, 16, 3, padding=1)
        self.b = torch.nn.Conv2d(16, 8, 3, padding=1)

    def forward(self, x):
        x = torch.nn.functional.interpolate(torch.relu(self.a(x)), scale_factor=2, mode="nearest")
        return torch.nn.functional.interpolate(self.b(x), scale_factor=2, mode="bilinear", align_corners=False)


def transformer_encoder():
    layer = torch.nn.TransformerEncoderLayer(d_model=256, nhead=4, dim_feedforward=1024, batch_first=True)
    return torch.nn.TransformerEncoder(layer, num_layers=2)


def image(size=224):
    return (1, 3, size, size)


# name -> (constructor, input shape)
MODELS = {
    "resnet18": (lambda: torchvision.models.resnet18(), image()),
    "resnet50": (lambda: torchvision.models.resnet50(), image()),
    "squeezenet1_1": (lambda: torchvision.models.squeezenet1_1(), image()),
    "mobilenet_v2": (lambda: torchvision.models.mobilenet_v2(), image()),
    "mobilenet_v3_small": (lambda: torchvision.models.mobilenet_v3_small(), image()),
    "shufflenet_v2_x1_0": (lambda: torchvision.models.shufflenet_v2_x1_0(), image()),
    "mnasnet1_0": (lambda: torchvision.models.mnasnet1_0(), image()),
    "efficientnet_b0": (lambda: torchvision.models.efficientnet_b0(), image()),
    "regnet_y_400mf": (lambda: torchvision.models.regnet_y_400mf(), image()),
    "densenet121": (lambda: torchvision.models.densenet121(), image()),
    "googlenet": (lambda: torchvision.models.googlenet(aux_logits=False, init_weights=True), image()),
    "inception_v3": (lambda: torchvision.models.inception_v3(aux_logits=False, init_weights=True), image(299)),
    "alexnet": (lambda: torchvision.models.alexnet(), image()),
    "vgg11": (lambda: torchvision.models.vgg11(), image()),
    "convnext_tiny": (lambda: torchvision.models.convnext_tiny(), image()),
    "vit_b_16": (lambda: torchvision.models.vit_b_16(), image()),
    "swin_t": (lambda: torchvision.models.swin_t(), image()),
    "efficientnet_v2_s": (lambda: torchvision.models.efficientnet_v2_s(), image()),
    "mobilenet_v3_large": (lambda: torchvision.models.mobilenet_v3_large(), image()),
    "resnext50_32x4d": (lambda: torchvision.models.resnext50_32x4d(), image()),
    "wide_resnet50_2": (lambda: torchvision.models.wide_resnet50_2(), image()),
    "transformer_encoder": (transformer_encoder, (1, 64, 256)),
    "upsample_net": (UpsampleNet, image(32)),
    "bert_like": (lambda: BertLikeEncoder(), (1, 128, 768)),
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out_dir")
    parser.add_argument("--only", default="")
    parser.add_argument("--opsets", default="13,17")
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    names = [n for n in MODELS if not args.only or n in args.only.split(",")]
    torch.manual_seed(0)
    for name in names:
        make, shape = MODELS[name]
        model = make().eval()
        # Layers initialized to zero (ViT's head, biases) would make every output
        # equal whatever runs the model: give them random values too.
        with torch.no_grad():
            for p in model.parameters():
                if not p.abs().max() > 0:
                    p.normal_(0.0, 0.02)
        x = torch.from_numpy(np.random.default_rng(1).uniform(-1, 1, shape).astype(np.float32))
        np.save(os.path.join(args.out_dir, f"{name}.input.npy"), x.numpy())
        for opset in (int(o) for o in args.opsets.split(",")):
            path = os.path.join(args.out_dir, f"{name}.opset{opset}.onnx")
            try:
                # With gradients on, TransformerEncoder takes its plain path, not the
                # fused kernel the exporter cannot write.
                torch.onnx.export(model, (x,), path, opset_version=opset, input_names=["input"],
                                  output_names=["output"], do_constant_folding=True)
                print(f"exported {path}", flush=True)
            except Exception as e:  # the exporter's own limits, not bcd's
                print(f"export-failed {path}: {str(e).splitlines()[0]}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
