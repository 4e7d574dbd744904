"""PyTorch peer for the `train` benchmark: the same Llama (RMSNorm, rotary, GQA, SwiGLU, untied head), the same
batch and the same timing loop as Srt's trainer step (forward, token-mean cross-entropy over trained positions,
backward, global-norm clip 1.0, AdamW with float32 state; bfloat16 runs keep float32 master weights like Srt).
`--logits trained` projects only the trained positions to the vocabulary (the work Srt's fused loss does);
`--logits all` projects every position, as a plain `F.cross_entropy` over full logits does. The MFU reference is the
median of five 2048² matmuls in this process. Prints one JSON line. Run with Debian's /usr/bin/python3 (python3-torch 1.13). Written for this repository."""
import argparse, json, math, statistics, time

import torch
import torch.nn as nn
import torch.nn.functional as F


class RmsNorm(nn.Module):
    def __init__(self, size, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(size))
        self.eps = eps

    def forward(self, x):
        x32 = x.float()
        return (x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)).to(x.dtype) * self.weight


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Attention(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.heads, self.kv, self.dim = a.heads, a.kv_heads, a.hidden // a.heads
        self.q_proj = nn.Linear(a.hidden, self.heads * self.dim, bias=False)
        self.k_proj = nn.Linear(a.hidden, self.kv * self.dim, bias=False)
        self.v_proj = nn.Linear(a.hidden, self.kv * self.dim, bias=False)
        self.o_proj = nn.Linear(self.heads * self.dim, a.hidden, bias=False)

    def forward(self, x, cos, sin, causal):
        b, t, _ = x.shape
        q = self.q_proj(x).view(b, t, self.heads, self.dim).transpose(1, 2)
        k = self.k_proj(x).view(b, t, self.kv, self.dim).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.kv, self.dim).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        if self.kv != self.heads:
            k = k.repeat_interleave(self.heads // self.kv, dim=1)
            v = v.repeat_interleave(self.heads // self.kv, dim=1)
        # PyTorch 1.13 has no scaled_dot_product_attention: the textbook causal softmax attention.
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(self.dim) + causal
        out = torch.softmax(scores.float(), dim=-1).to(q.dtype) @ v
        return self.o_proj(out.transpose(1, 2).reshape(b, t, -1))


class Layer(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.self_attn = Attention(a)
        self.gate_proj = nn.Linear(a.hidden, a.intermediate, bias=False)
        self.up_proj = nn.Linear(a.hidden, a.intermediate, bias=False)
        self.down_proj = nn.Linear(a.intermediate, a.hidden, bias=False)
        self.input_layernorm = RmsNorm(a.hidden, 1e-5)
        self.post_attention_layernorm = RmsNorm(a.hidden, 1e-5)

    def forward(self, x, cos, sin, causal):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, causal)
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))


class Llama(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.embed_tokens = nn.Embedding(a.vocab, a.hidden)
        self.layers = nn.ModuleList(Layer(a) for _ in range(a.layers))
        self.norm = RmsNorm(a.hidden, 1e-5)
        self.lm_head = nn.Linear(a.hidden, a.vocab, bias=False)
        dim = a.hidden // a.heads
        inv = 1.0 / (10000 ** (torch.arange(0, dim, 2).float() / dim))
        angles = torch.outer(torch.arange(a.seq).float(), inv)
        angles = torch.cat((angles, angles), dim=-1)
        self.cos, self.sin = angles.cos(), angles.sin()
        self.causal = torch.full((a.seq, a.seq), float("-inf")).triu(1)
        for p in self.parameters():
            nn.init.normal_(p, 0, 0.02)

    def forward(self, ids):
        """Final hidden states after the last norm; the caller projects the positions it needs with lm_head."""
        t = ids.shape[1]
        x = self.embed_tokens(ids)
        cos, sin = self.cos[:t].to(x.dtype), self.sin[:t].to(x.dtype)
        causal = self.causal[:t, :t].to(x.dtype)
        for layer in self.layers:
            x = layer(x, cos, sin, causal)
        return self.norm(x)


def matmul_rate(dtype, size=2048, repeats=5):
    a, b = torch.randn(size, size, dtype=dtype), torch.randn(size, size, dtype=dtype)
    a @ b
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - start)
    return 2 * size ** 3 / statistics.median(times) / 1e9


def main():
    p = argparse.ArgumentParser()
    for name in ("vocab", "hidden", "layers", "heads", "kv-heads", "intermediate", "batch", "seq", "threads", "steps", "warmup", "prompt"):
        p.add_argument("--" + name, type=int, required=True)
    p.add_argument("--dtype", choices=("float32", "bfloat16"), required=True)
    p.add_argument("--logits", choices=("trained", "all"), default="trained")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    dtype = torch.float32 if a.dtype == "float32" else torch.bfloat16
    model = Llama(a).to(dtype)
    params = list(model.parameters())
    masters = [q.detach().float().clone().requires_grad_(True) for q in params] if dtype != torch.float32 else params
    optimizer = torch.optim.AdamW(masters, lr=1e-5, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    ids = torch.randint(0, 99, (a.batch, a.seq))
    targets = ids[:, 1:].clone()
    targets[:, : a.prompt - 1] = -100  # the prompt is not trained, as in Srt's run
    trained = (targets != -100).reshape(-1).nonzero().squeeze(1)
    times = []
    for step in range(a.warmup + a.steps):
        start = time.perf_counter()
        hidden = model(ids[:, :-1]).reshape(-1, a.hidden)
        if a.logits == "trained":
            logits = model.lm_head(hidden.index_select(0, trained))
            loss = F.cross_entropy(logits.float(), targets.reshape(-1).index_select(0, trained))
        else:
            logits = model.lm_head(hidden)
            loss = F.cross_entropy(logits.float(), targets.reshape(-1), ignore_index=-100)
        loss.backward()
        if masters is not params:
            for m, q in zip(masters, params):
                m.grad = q.grad.float()
                q.grad = None
        torch.nn.utils.clip_grad_norm_(masters, 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if masters is not params:
            with torch.no_grad():
                for m, q in zip(masters, params):
                    q.copy_(m)
        elapsed = time.perf_counter() - start
        if step >= a.warmup:
            times.append(elapsed)
    seconds = statistics.median(times)
    print(json.dumps({
        "impl": "pytorch", "torch": torch.__version__, "dtype": a.dtype, "logits": a.logits, "threads": a.threads,
        "params": sum(q.numel() for q in params), "step_seconds": seconds,
        "tokens_per_second": a.batch * a.seq / seconds, "loss": loss.item(),
        "matmul_gflops": matmul_rate(dtype),
    }))


if __name__ == "__main__":
    main()
