"""Run by PythonLoaderTests: loads files the C# side saved with docs/python/load_safetensors.py,
reports every tensor exactly, and recomputes one Transformer block in numpy from the weights.

Usage: check_loader.py MODEL.safetensors DTYPES.safetensors INPUT.safetensors HEADS ROPE_BASE OUT.json
The block is TransformerBlock (src/Nsm/Models/Transformer): pre-norm, x + Attn(RmsNorm(x)),
then x + SwiGLU(RmsNorm(x)); attention is causal, with rotary positions in the half-split layout.
Computed in float64 from the float32 weights, so the C# float32 result must agree within 1e-5.
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "docs", "python"))
from load_safetensors import load_safetensors  # noqa: E402


def rms_norm(x, weight, eps=1e-6):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * weight


def rotary(x, base):
    """x: (B, h, N, hd) for positions 0 .. N-1; rotates channel i with channel i + hd/2."""
    n, hd = x.shape[2], x.shape[3]
    half = hd // 2
    inverse_frequency = base ** (-np.arange(half) / half)      # (hd/2)
    angles = np.outer(np.arange(n), inverse_frequency)          # (N, hd/2)
    cos, sin = np.cos(angles), np.sin(angles)
    x1, x2 = x[..., :half], x[..., half:]
    return np.concatenate([x1 * cos - x2 * sin, x1 * sin + x2 * cos], axis=-1)


def causal_attention(x, qkv_weight, out_weight, heads, base):
    b, n, d = x.shape
    hd = d // heads
    qkv = (x @ qkv_weight.T).reshape(b, n, 3, heads, hd).transpose(2, 0, 3, 1, 4)  # (3, B, h, N, hd)
    q, k, v = rotary(qkv[0], base), rotary(qkv[1], base), qkv[2]
    scores = q @ k.swapaxes(-1, -2) / np.sqrt(hd)                                    # (B, h, N, N)
    scores = np.where(np.tril(np.ones((n, n), dtype=bool)), scores, -np.inf)         # key <= query
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights /= weights.sum(axis=-1, keepdims=True)
    attended = weights @ v                                                           # (B, h, N, hd)
    return attended.transpose(0, 2, 1, 3).reshape(b, n, d) @ out_weight.T


def swiglu(x, w1, w3, w2):
    gate = x @ w1.T
    return (gate / (1 + np.exp(-gate)) * (x @ w3.T)) @ w2.T


def transformer_block(x, p, prefix, heads, base):
    w = lambda name: p[prefix + name].astype(np.float64)  # noqa: E731
    x = x + causal_attention(rms_norm(x, w("attn_norm.weight")), w("attn.qkv_proj.weight"), w("attn.out_proj.weight"), heads, base)
    return x + swiglu(rms_norm(x, w("ffn_norm.weight")), w("ffn.w1.weight"), w("ffn.w3.weight"), w("ffn.w2.weight"))


def report(tensors):
    return {name: {"dtype": str(a.dtype), "shape": list(a.shape), "values": a.astype(np.float64).ravel().tolist()}
            for name, a in tensors.items()}


def main(model_path, dtypes_path, input_path, heads, base, out_path):
    model, metadata = load_safetensors(model_path)
    dtypes, _ = load_safetensors(dtypes_path)
    inputs, _ = load_safetensors(input_path)
    output = transformer_block(inputs["x"].astype(np.float64), model, "layers.0.", int(heads), float(base))
    with open(out_path, "w") as f:
        json.dump({"metadata": metadata, "model": report(model), "dtypes": report(dtypes),
                   "block_output": report({"y": output})["y"]}, f)


if __name__ == "__main__":
    main(*sys.argv[1:])
