"""Writes tiny random Llama-family checkpoints with Hugging Face transformers and records their logits.

The C# tests load these folders with LlamaForCausalLM.FromPretrained and compare logits to the ones transformers
computed here, so the model is checked against the reference implementation, on files transformers itself wrote.
Usage: python3 make_fixtures.py OUTPUT_FOLDER   (needs torch and transformers; runs on CPU in a few seconds)
"""
import json
import os
import sys

import torch
import transformers
from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

BASE = dict(vocab_size=97, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
            num_key_value_heads=2, rms_norm_eps=1e-5, max_position_embeddings=64, bos_token_id=1, eos_token_id=2)
VARIANTS = {
    "llama-gqa": (LlamaConfig, LlamaForCausalLM, dict(rope_theta=10000.0), torch.float32),
    "llama3-rope-tied": (LlamaConfig, LlamaForCausalLM, dict(
        rope_theta=500000.0, tie_word_embeddings=True,
        rope_scaling=dict(rope_type="llama3", factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0,
                          original_max_position_embeddings=16)), torch.float32),
    "llama-linear-bias": (LlamaConfig, LlamaForCausalLM, dict(
        num_key_value_heads=4, attention_bias=True, mlp_bias=True, rope_scaling=dict(type="linear", factor=4.0)),
        torch.float32),
    "qwen2": (Qwen2Config, Qwen2ForCausalLM, dict(num_key_value_heads=1, tie_word_embeddings=True,
                                                  rope_theta=1000000.0), torch.float32),
    "llama-bf16": (LlamaConfig, LlamaForCausalLM, dict(rope_theta=10000.0), torch.bfloat16),
}
INPUT_IDS = [5, 17, 3, 96, 40, 8, 22, 61, 0, 13, 77, 30]


def main(output):
    for index, (name, (config_type, model_type, extra, dtype)) in enumerate(VARIANTS.items()):
        torch.manual_seed(1000 + index)
        settings = {**BASE, **extra}
        if int(transformers.__version__.split(".")[0]) >= 5:
            # transformers 5 takes rope settings as one rope_parameters dict.
            scaling = dict(settings.pop("rope_scaling", None) or {"rope_type": "default"})
            scaling["rope_type"] = scaling.pop("type", scaling.get("rope_type"))
            settings["rope_parameters"] = {**scaling, "rope_theta": settings.pop("rope_theta", 10000.0)}
        config = config_type(**settings)
        model = model_type(config).eval()
        with torch.no_grad():
            for parameter_name, parameter in model.named_parameters():
                if parameter_name.endswith("norm.weight") or parameter_name.endswith(".bias"):
                    parameter.add_(torch.randn_like(parameter) * 0.1)
                else:
                    parameter.normal_(0.0, 0.2)
            # Round to the saved dtype first, so the reference uses exactly the weights in the file. The reference is
            # a fresh model given those weights: model.to(bfloat16) would also round the rotary inv_freq buffer.
            model = model.to(dtype)
            reference = model_type(config).eval()
            reference.load_state_dict({k: v.float() for k, v in model.state_dict().items()})
            logits = reference.double()(torch.tensor([INPUT_IDS])).logits[0]
            # transformers' own low-precision forward (CPU), for the tests of our bf16 path.
            native = model(torch.tensor([INPUT_IDS])).logits[0].double() if dtype != torch.float32 else None
        folder = os.path.join(output, name)
        model.save_pretrained(folder, safe_serialization=True)
        with open(os.path.join(folder, "logits.json"), "w") as f:
            json.dump({
                "input_ids": INPUT_IDS,
                "logits": [round(float(v), 9) for v in logits.flatten()],
                "computed_in": "float64, from the weights exactly as saved",
                **({"native_dtype_logits": [round(float(v), 9) for v in native.flatten()]} if native is not None else {}),
                "transformers_version": transformers.__version__,
                "torch_version": torch.__version__,
            }, f)
        print(name, "max |logit|", float(logits.abs().max()), "saved as", dtype)


if __name__ == "__main__":
    main(sys.argv[1])
