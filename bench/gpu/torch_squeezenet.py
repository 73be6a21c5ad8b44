"""Times torchvision's squeezenet1_1 with PyTorch on the GPU, the baseline that
bench/gpu_check.sh prints next to `bcd run --target cuda`: fp32 with TF32 off,
batch 1, 224x224, random weights (latency does not depend on their values), eager
and replayed as a CUDA graph. Median of REPEAT timed runs after warm-up, each
timed with CUDA events. Usage: python3 torch_squeezenet.py [REPEAT]"""
import statistics
import sys

import torch
import torchvision

repeat = int(sys.argv[1]) if len(sys.argv) > 1 else 200
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
torch.manual_seed(0)
model = torchvision.models.squeezenet1_1().eval().cuda()
x = torch.rand(1, 3, 224, 224, device="cuda")


def time_ms(fn):
    for _ in range(20):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeat):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


with torch.inference_mode():
    eager = time_ms(lambda: model(x))
    static_x = x.clone()
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):  # warm-up on a side stream, as graph capture wants
        for _ in range(3):
            model(static_x)
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        model(static_x)
    graphed = time_ms(graph.replay)

print(f"torch {torch.__version__} on {torch.cuda.get_device_name()}: squeezenet1_1 fp32 (TF32 off), batch 1")
print(f"torch eager       {eager:.4f} ms (median of {repeat})")
print(f"torch cuda graph  {graphed:.4f} ms (median of {repeat})")
