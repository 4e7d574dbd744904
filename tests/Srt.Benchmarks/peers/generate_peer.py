"""PyTorch peer of the `generate` benchmark: the same Llama shapes, prompts and greedy KV-cache loop as Srt's
TextGenerator (prefill projects only the last position; one token per step after), timed the same way.
Runs on Debian's python3-torch 1.13 (no scaled_dot_product_attention there: attention is written out).
Prints one JSON object per line."""
import argparse, json, math, time
import torch
import torch.nn.functional as F

SIZES = {  # mirror tests/Srt.Benchmarks/Generation/BenchmarkLlamaConfigs.cs
    "25m": dict(vocab=32000, hidden=384, inter=1152, layers=6, heads=6, kv_heads=2),
    "100m": dict(vocab=32000, hidden=768, inter=2048, layers=12, heads=12, kv_heads=4),
}


class Llama(torch.nn.Module):
    def __init__(self, c, dtype):
        super().__init__()
        self.c, h, self.hd = c, c["hidden"], c["hidden"] // c["heads"]
        kv = c["kv_heads"] * self.hd
        lin = lambda i, o: torch.nn.Parameter(torch.randn(o, i, dtype=dtype) * 0.02)
        self.embed = torch.nn.Parameter(torch.randn(c["vocab"], h, dtype=dtype) * 0.02)  # tied lm_head
        self.layers = [dict(q=lin(h, h), k=lin(h, kv), v=lin(h, kv), o=lin(h, h), gate=lin(h, c["inter"]),
                            up=lin(h, c["inter"]), down=lin(c["inter"], h), n1=torch.ones(h, dtype=dtype),
                            n2=torch.ones(h, dtype=dtype)) for _ in range(c["layers"])]
        self.norm = torch.ones(h, dtype=dtype)
        inv = 1.0 / (10000 ** (torch.arange(0, self.hd, 2).float() / self.hd))
        ang = torch.outer(torch.arange(4096).float(), inv)
        ang = torch.cat([ang, ang], -1)
        self.cos, self.sin = ang.cos().to(dtype), ang.sin().to(dtype)

    @staticmethod
    def rms(x, w):
        xf = x.float()
        return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + 1e-6)).to(x.dtype) * w

    def rope(self, x, pos):
        cos, sin = self.cos[pos], self.sin[pos]
        half = x.shape[-1] // 2
        rot = torch.cat([-x[..., half:], x[..., :half]], -1)
        return x * cos + rot * sin

    def forward(self, ids, cache, past):
        b, t = ids.shape
        c, hd = self.c, self.hd
        x = F.embedding(ids, self.embed)
        pos = torch.arange(past, past + t)
        mask = None
        if t > 1:
            mask = torch.full((t, past + t), float("-inf"), dtype=x.dtype).triu(past + 1)
        for i, l in enumerate(self.layers):
            h = self.rms(x, l["n1"])
            q = F.linear(h, l["q"]).view(b, t, c["heads"], hd).transpose(1, 2)
            k = F.linear(h, l["k"]).view(b, t, c["kv_heads"], hd).transpose(1, 2)
            v = F.linear(h, l["v"]).view(b, t, c["kv_heads"], hd).transpose(1, 2)
            q, k = self.rope(q, pos), self.rope(k, pos)
            kc, vc = cache[i]
            kc[:, :, past:past + t] = k
            vc[:, :, past:past + t] = v
            rep = c["heads"] // c["kv_heads"]
            keys = kc[:, :, :past + t].repeat_interleave(rep, 1)
            values = vc[:, :, :past + t].repeat_interleave(rep, 1)
            s = q @ keys.transpose(-1, -2) / math.sqrt(hd)
            if mask is not None:
                s = s + mask
            a = (s.float().softmax(-1).to(x.dtype) @ values).transpose(1, 2).reshape(b, t, -1)
            x = x + F.linear(a, l["o"])
            h = self.rms(x, l["n2"])
            x = x + F.linear(F.silu(F.linear(h, l["gate"])) * F.linear(h, l["up"]), l["down"])
        return F.linear(self.rms(x[:, -1], self.norm), self.embed)  # last position only


def generate(model, prompts, new_tokens, dtype):
    c = model.c
    b, p = prompts.shape
    cache = [(torch.empty(b, c["kv_heads"], p + new_tokens, model.hd, dtype=dtype),
              torch.empty(b, c["kv_heads"], p + new_tokens, model.hd, dtype=dtype)) for _ in range(c["layers"])]
    start = time.perf_counter()
    nxt = model(prompts, cache, 0).argmax(-1).tolist()
    prefill = time.perf_counter() - start
    start = time.perf_counter()
    for step in range(new_tokens - 1):
        nxt = model(torch.tensor(nxt).view(b, 1), cache, p + step).argmax(-1).tolist()
    return prefill, time.perf_counter() - start, new_tokens - 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="25m"); ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--prompt", type=int, default=128); ap.add_argument("--new", type=int, default=64)
    ap.add_argument("--batches", default="1,8"); ap.add_argument("--dtypes", default="float32,bfloat16")
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    c = SIZES[a.size]
    for name in a.dtypes.split(","):
        dtype = torch.float32 if name in ("float32", "fp32") else torch.bfloat16
        model = Llama(c, dtype)
        with torch.no_grad():
            generate(model, torch.zeros(1, 16, dtype=torch.long), 4, dtype)  # warm-up
            for batch in [int(x) for x in a.batches.split(",")]:
                ids = torch.tensor([[(7919 * r + 104729 * i + 17) % c["vocab"] for i in range(a.prompt)] for r in range(batch)])
                runs = [generate(model, ids, a.new, dtype) for _ in range(a.repeats)]
                print(json.dumps(dict(
                    benchmark="generate", implementation="pytorch-" + torch.__version__, size=a.size, dtype=name,
                    batch=batch, threads=a.threads, prompt_tokens=a.prompt, new_tokens=a.new, repeats=a.repeats,
                    prefill_tokens_per_s=round(max(batch * a.prompt / r[0] for r in runs), 1),
                    decode_tokens_per_s=round(max(batch * r[2] / r[1] for r in runs), 1))), flush=True)


if __name__ == "__main__":
    main()
