"""PyTorch side of `npm run bench -- train-throughput`: the same models A-D, trained on random
data with Adam on the CPU. Usage: python3 torch_models.py '<json job>' -> one JSON line."""
import json
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def model_a():
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 7)), (32, 3, 64, 64), 7


class Residual(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout)
        self.skip = None
        if stride != 1 or cin != cout:
            self.skip = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.b2(self.c2(F.relu(self.b1(self.c1(x)))))
        return F.relu(y + (x if self.skip is None else self.skip(x)))


def model_b():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
        Residual(32, 32, 1), Residual(32, 32, 1), Residual(32, 64, 2), Residual(64, 64, 1),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 2)), (64, 1, 28, 28), 2


def model_c():
    return nn.Sequential(
        nn.Conv3d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool3d(2),
        nn.Conv3d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool3d(2),
        nn.Conv3d(16, 32, 3, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool3d(1), nn.Flatten(), nn.Linear(32, 2)), (8, 1, 32, 32, 32), 2


class Block(nn.Module):
    def __init__(self, dim, heads, mlp=4):
        super().__init__()
        self.n1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.n2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp * dim), nn.GELU(), nn.Linear(mlp * dim, dim))

    def forward(self, x):
        h = self.n1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.n2(x))


class VitMae(nn.Module):
    """GL-MAE at MedStudio's CPU size: 32^3, patch 8, embed 96, depth 4, heads 4; decoder 64/2."""

    def __init__(self, size=32, patch=8, embed=96, depth=4, heads=4, dec=64, dec_depth=2, dec_heads=4):
        super().__init__()
        self.p = patch
        self.n = (size // patch) ** 3
        self.embed = nn.Linear(patch ** 3, embed)
        self.pos = nn.Parameter(torch.randn(1, self.n, embed) * 0.02)
        self.blocks = nn.Sequential(*[Block(embed, heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(embed)
        self.dec_embed = nn.Linear(embed, dec)
        self.mask_token = nn.Parameter(torch.zeros(dec))
        self.dec_pos = nn.Parameter(torch.randn(1, self.n, dec) * 0.02)
        self.dec_blocks = nn.Sequential(*[Block(dec, dec_heads) for _ in range(dec_depth)])
        self.dec_norm = nn.LayerNorm(dec)
        self.pred = nn.Linear(dec, patch ** 3)

    def patchify(self, x):
        b, p = x.shape[0], self.p
        g = x.shape[2] // p
        x = x.reshape(b, g, p, g, p, g, p).permute(0, 1, 3, 5, 2, 4, 6)
        return x.reshape(b, g ** 3, p ** 3)

    def loss(self, x, keep_idx, masked):
        target = self.patchify(x)
        t = self.embed(target) + self.pos
        vis = torch.gather(t, 1, keep_idx.unsqueeze(-1).expand(-1, -1, t.shape[2]))
        enc = self.norm(self.blocks(vis))
        y = self.dec_embed(enc)
        full = self.mask_token.expand(x.shape[0], self.n, y.shape[2]).clone()
        full = full.scatter(1, keep_idx.unsqueeze(-1).expand(-1, -1, y.shape[2]), y)
        pred = self.pred(self.dec_norm(self.dec_blocks(full + self.dec_pos)))
        err = ((pred - target) ** 2) * masked.unsqueeze(-1)
        return err.sum() / (masked.sum() * target.shape[2])


def main():
    job = json.loads(sys.argv[1])
    torch.set_num_threads(job["threads"])
    torch.manual_seed(0)
    name = job["model"]
    if name == "D":
        model, batch = VitMae(), 8
        x = torch.randn(batch, 1, 32, 32, 32)
        n, vis = model.n, model.n // 4
        keep = torch.stack([torch.randperm(n)[:vis].sort().values for _ in range(batch)])
        masked = torch.ones(batch, n).scatter(1, keep, 0.0)
        compute = lambda: model.loss(x, keep, masked)
    else:
        model, shape, classes = {"A": model_a, "B": model_b, "C": model_c}[name]()
        batch = shape[0]
        x = torch.randn(*shape)
        y = torch.randint(0, classes, (batch,))
        compute = lambda: F.cross_entropy(model(x), y)
    model.train()
    opt = torch.optim.Adam(model.parameters(), 1e-3)

    def step():
        opt.zero_grad()
        loss = compute()
        loss.backward()
        opt.step()
        return loss.item()

    step()
    step()
    times = []
    t0 = time.perf_counter()
    while len(times) < 3 or time.perf_counter() - t0 < job["seconds"]:
        s = time.perf_counter()
        loss = step()
        times.append((time.perf_counter() - s) * 1000)
    times.sort()
    k = len(times)
    med = times[k // 2] if k % 2 else (times[k // 2 - 1] + times[k // 2]) / 2
    print(json.dumps({
        "model": name, "backend": "pytorch-cpu", "threads": torch.get_num_threads(),
        "device": f"PyTorch {torch.__version__} CPU", "steps": k, "medianStepMs": med,
        "imagesPerSec": batch * 1000 / med,
        "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "tensorsLeaked": 0, "loss": loss,
    }))


if __name__ == "__main__":
    main()
