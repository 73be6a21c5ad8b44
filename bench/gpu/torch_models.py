"""Times torchvision models with PyTorch on the GPU, the baselines that
bench/gpu_check.sh prints next to `bcd run --target cuda`: fp32 with TF32 off,
batch 1, 224x224, random weights (latency does not depend on their values), three
ways: eager, replayed as a CUDA graph, and torch.compile in its default mode.
Median of REPEAT timed runs after warm-up, each timed with CUDA events.
Usage: python3 torch_models.py REPEAT MODEL...   (MODEL: squeezenet1_1, resnet18)
Prints one line per model and mode: "torch <model> <mode> <ms> ms (median of N)"."""
import statistics
import sys
import time

import torch
import torchvision

repeat = int(sys.argv[1]) if len(sys.argv) > 1 else 200
models = sys.argv[2:] or ["squeezenet1_1", "resnet18"]
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
torch.manual_seed(0)


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


def cuda_graph(model, x):
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
    return graph.replay


print(f"torch {torch.__version__} on {torch.cuda.get_device_name()}: fp32 (TF32 off), batch 1, 224x224")
for name in models:
    model = getattr(torchvision.models, name)().eval().cuda()
    x = torch.rand(1, 3, 224, 224, device="cuda")
    with torch.inference_mode():
        print(f"torch {name} eager {time_ms(lambda: model(x)):.4f} ms (median of {repeat})", flush=True)
        print(f"torch {name} cuda-graph {time_ms(cuda_graph(model, x)):.4f} ms (median of {repeat})", flush=True)
        try:
            start = time.time()
            compiled = torch.compile(model)
            compiled(x)  # compiles
            took = time.time() - start
            print(f"torch {name} compile {time_ms(lambda: compiled(x)):.4f} ms (median of {repeat}; "
                  f"compiled in {took:.0f} s)", flush=True)
        except Exception as e:  # no Triton or no compiler on the machine: say so, go on
            print(f"torch {name} compile unavailable: {type(e).__name__}: {str(e).splitlines()[0][:160]}")
