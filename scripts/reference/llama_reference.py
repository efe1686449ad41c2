#!/usr/bin/python3
"""An independent Llama-family reference in plain PyTorch (Debian's python3-torch 1.13; numpy;
no transformers, no safetensors package), following HF transformers' modeling_llama and PEFT's
LoRA. It checks the TypeScript engine's model, and is the peer of its training benchmark.

  reference --model DIR --adapter DIR --inputs IN.json --out OUT.json
      Logits [B, T, V] and the LoRA gradients of the masked mean cross-entropy, in float64.
  bench --hidden 576 --layers 30 --heads 9 --kv-heads 3 --intermediate 1536 --vocab 49152
        --batch 4 --seq 128 --rank 8 --targets q_proj,v_proj --threads 2 --steps 3
      Times LoRA training steps (forward + backward) on random float32 weights; prints one line
      `pytorch_tokens_per_s=<n> step_s=<median> best_step_s=<n> peak_rss_mb=<n>`. With
      --interleaved, prints "ready" after warm-up and then times one step for each "step" line
      read from stdin (printing its seconds), so that a peer can alternate steps with it.
"""
import argparse
import json
import math
import os
import resource
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

# ---------------------------------------------------------------------------------------------
# safetensors, by hand


def read_safetensors_file(path):
    with open(path, 'rb') as f:
        data = f.read()
    (header_len,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + header_len])
    base = 8 + header_len
    tensors = {}
    for name, info in header.items():
        if name == '__metadata__':
            continue
        start, end = info['data_offsets']
        raw = data[base + start:base + end]
        dtype = info['dtype']
        if dtype == 'F32':
            array = np.frombuffer(raw, '<f4')
        elif dtype == 'F64':
            array = np.frombuffer(raw, '<f8')
        elif dtype == 'F16':
            array = np.frombuffer(raw, '<f2').astype(np.float32)
        elif dtype == 'BF16':
            array = (np.frombuffer(raw, '<u2').astype(np.uint32) << 16).view(np.float32)
        else:
            raise ValueError(f'{path}: tensor {name} has unsupported dtype {dtype}')
        tensors[name] = torch.from_numpy(array.copy().reshape(info['shape']))
    return tensors


def read_model_weights(model_dir):
    index = os.path.join(model_dir, 'model.safetensors.index.json')
    if not os.path.exists(index):
        return read_safetensors_file(os.path.join(model_dir, 'model.safetensors'))
    with open(index) as f:
        shards = sorted(set(json.load(f)['weight_map'].values()))
    tensors = {}
    for shard in shards:
        tensors.update(read_safetensors_file(os.path.join(model_dir, shard)))
    return tensors


# ---------------------------------------------------------------------------------------------
# the model, as HF's LlamaForCausalLM computes it


class Config:
    def __init__(self, raw):
        self.vocab_size = raw['vocab_size']
        self.hidden_size = raw['hidden_size']
        self.intermediate_size = raw['intermediate_size']
        self.num_layers = raw['num_hidden_layers']
        self.num_heads = raw['num_attention_heads']
        self.num_kv_heads = raw.get('num_key_value_heads') or self.num_heads
        self.head_dim = raw.get('head_dim') or self.hidden_size // self.num_heads
        self.rms_norm_eps = raw.get('rms_norm_eps', 1e-6)
        self.rope_theta = raw.get('rope_theta', 10000.0)
        self.rope_scaling = raw.get('rope_scaling')
        self.tie_word_embeddings = raw.get('tie_word_embeddings', False)


def rope_inv_freq(config, dtype):
    d = config.head_dim
    inv_freq = 1.0 / (config.rope_theta ** (torch.arange(0, d, 2, dtype=torch.float64) / d))
    scaling = config.rope_scaling
    if scaling and (scaling.get('rope_type') or scaling.get('type')) == 'llama3':
        factor = scaling['factor']
        low, high = scaling['low_freq_factor'], scaling['high_freq_factor']
        old_context = scaling['original_max_position_embeddings']
        low_freq_wavelen = old_context / low
        high_freq_wavelen = old_context / high
        wavelen = 2 * math.pi / inv_freq
        scaled = torch.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
        smooth = (old_context / wavelen - low) / (high - low)
        smoothed = (1 - smooth) * scaled / factor + smooth * scaled
        is_medium = ~(wavelen < high_freq_wavelen) & ~(wavelen > low_freq_wavelen)
        inv_freq = torch.where(is_medium, smoothed, scaled)
    return inv_freq.to(dtype)


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def rms_norm(x, weight, eps):
    variance = x.pow(2).mean(-1, keepdim=True)
    return weight * (x * torch.rsqrt(variance + eps))


def lora_linear(x, weights, prefix, lora, bias=True):
    y = F.linear(x, weights[prefix + '.weight'], weights.get(prefix + '.bias') if bias else None)
    if lora is not None and prefix in lora['modules']:
        a, b = lora['modules'][prefix]
        y = y + F.linear(F.linear(x, a), b) * lora['scale']
    return y


def repeat_kv(x, groups):
    batch, kv_heads, length, head_dim = x.shape
    if groups == 1:
        return x
    return x[:, :, None, :, :].expand(batch, kv_heads, groups, length, head_dim).reshape(batch, kv_heads * groups, length, head_dim)


def llama_hidden(config, weights, lora, input_ids, attention_mask):
    """The final-normed hidden states (B, T, C)."""
    dtype = weights['model.embed_tokens.weight'].dtype
    batch, length = input_ids.shape
    nh, kv, hs = config.num_heads, config.num_kv_heads, config.head_dim
    x = F.embedding(input_ids, weights['model.embed_tokens.weight'])

    positions = torch.arange(length, dtype=torch.float64)
    freqs = torch.outer(positions, rope_inv_freq(config, torch.float64))
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos().to(dtype)[None, None], emb.sin().to(dtype)[None, None]  # (1, 1, T, hs)

    causal = torch.tril(torch.ones(length, length, dtype=torch.bool))
    allowed = causal[None, None] & attention_mask[:, None, None, :].bool()  # (B, 1, T, T)
    mask = torch.zeros(allowed.shape, dtype=dtype).masked_fill(~allowed, torch.finfo(dtype).min)

    for i in range(config.num_layers):
        p = f'model.layers.{i}'
        h = rms_norm(x, weights[f'{p}.input_layernorm.weight'], config.rms_norm_eps)
        q = lora_linear(h, weights, f'{p}.self_attn.q_proj', lora).view(batch, length, nh, hs).transpose(1, 2)
        k = lora_linear(h, weights, f'{p}.self_attn.k_proj', lora).view(batch, length, kv, hs).transpose(1, 2)
        v = lora_linear(h, weights, f'{p}.self_attn.v_proj', lora).view(batch, length, kv, hs).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k, v = repeat_kv(k, nh // kv), repeat_kv(v, nh // kv)
        scores = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(hs) + mask
        probs = F.softmax(scores, dim=-1)
        out = torch.matmul(probs, v).transpose(1, 2).reshape(batch, length, nh * hs)
        x = x + lora_linear(out, weights, f'{p}.self_attn.o_proj', lora)
        h = rms_norm(x, weights[f'{p}.post_attention_layernorm.weight'], config.rms_norm_eps)
        gate = lora_linear(h, weights, f'{p}.mlp.gate_proj', lora)
        up = lora_linear(h, weights, f'{p}.mlp.up_proj', lora)
        x = x + lora_linear(F.silu(gate) * up, weights, f'{p}.mlp.down_proj', lora)
    return rms_norm(x, weights['model.norm.weight'], config.rms_norm_eps)


def lm_head_weight(config, weights):
    return weights['model.embed_tokens.weight'] if config.tie_word_embeddings else weights['lm_head.weight']


def make_lora(config, r, alpha, targets, tensors):
    """{'scale', 'modules': {HF module prefix: (A, B)}} from PEFT-named tensors."""
    modules = {}
    for i in range(config.num_layers):
        for target in targets:
            path = ('mlp.' if target in ('gate_proj', 'up_proj', 'down_proj') else 'self_attn.') + target
            peft = f'base_model.model.model.layers.{i}.{path}'
            modules[f'model.layers.{i}.{path}'] = (tensors[f'{peft}.lora_A.weight'], tensors[f'{peft}.lora_B.weight'], peft)
    return {'scale': alpha / r, 'modules': {k: (a, b) for k, (a, b, _) in modules.items()},
            'names': {k: peft for k, (_, _, peft) in modules.items()}}


# ---------------------------------------------------------------------------------------------
# reference: logits and LoRA gradients for fixed inputs


def reference(args):
    with open(os.path.join(args.model, 'config.json')) as f:
        config = Config(json.load(f))
    dtype = torch.float64
    weights = {k: v.to(dtype) for k, v in read_model_weights(args.model).items()}
    with open(os.path.join(args.adapter, 'adapter_config.json')) as f:
        adapter = json.load(f)
    adapter_tensors = {k: v.to(dtype).requires_grad_(True) for k, v in read_safetensors_file(os.path.join(args.adapter, 'adapter_model.safetensors')).items()}
    lora = make_lora(config, adapter['r'], adapter['lora_alpha'], adapter['target_modules'], adapter_tensors)
    with open(args.inputs) as f:
        inputs = json.load(f)
    shape = (inputs['batch'], inputs['seq'])
    input_ids = torch.tensor(inputs['input_ids']).view(shape)
    attention_mask = torch.tensor(inputs['attention_mask']).view(shape)
    targets = torch.tensor(inputs['targets']).view(shape)
    loss_mask = torch.tensor(inputs['loss_mask'], dtype=dtype).view(shape)

    hidden = llama_hidden(config, weights, lora, input_ids, attention_mask)
    logits = F.linear(hidden, lm_head_weight(config, weights))  # (B, T, V)
    nll = -F.log_softmax(logits, dim=-1).gather(-1, targets[..., None])[..., 0]
    loss = (nll * loss_mask).sum() / loss_mask.sum()
    loss.backward()
    result = {
        'logits': logits.detach().reshape(-1).tolist(),
        'loss': loss.item(),
        'gradients': {name: tensor.grad.reshape(-1).tolist() for name, tensor in adapter_tensors.items()},
    }
    with open(args.out, 'w') as f:
        json.dump(result, f)


# ---------------------------------------------------------------------------------------------
# bench: LoRA training steps on random weights


def bench(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    targets = args.targets.split(',')
    raw = {
        'vocab_size': args.vocab, 'hidden_size': args.hidden, 'intermediate_size': args.intermediate,
        'num_hidden_layers': args.layers, 'num_attention_heads': args.heads, 'num_key_value_heads': args.kv_heads,
        'rms_norm_eps': 1e-5, 'rope_theta': 10000.0, 'tie_word_embeddings': True,
    }
    config = Config(raw)
    h, ff, d = config.hidden_size, config.intermediate_size, config.head_dim
    q, kv = config.num_heads * d, config.num_kv_heads * d
    shapes = {'model.embed_tokens.weight': (config.vocab_size, h), 'model.norm.weight': (h,)}
    out_in = {'q_proj': (q, h), 'k_proj': (kv, h), 'v_proj': (kv, h), 'o_proj': (h, q), 'gate_proj': (ff, h), 'up_proj': (ff, h), 'down_proj': (h, ff)}
    for i in range(config.num_layers):
        p = f'model.layers.{i}'
        shapes[f'{p}.input_layernorm.weight'] = (h,)
        shapes[f'{p}.post_attention_layernorm.weight'] = (h,)
        for name, shape in out_in.items():
            shapes[f'{p}.{"mlp" if name in ("gate_proj", "up_proj", "down_proj") else "self_attn"}.{name}.weight'] = shape
    weights = {name: (torch.ones(shape) if len(shape) == 1 else torch.randn(shape) * 0.02) for name, shape in shapes.items()}
    lora_tensors = {}
    for i in range(config.num_layers):
        for target in targets:
            path = ('mlp.' if target in ('gate_proj', 'up_proj', 'down_proj') else 'self_attn.') + target
            out_features, in_features = out_in[target]
            peft = f'base_model.model.model.layers.{i}.{path}'
            bound = 1 / math.sqrt(in_features)
            lora_tensors[f'{peft}.lora_A.weight'] = (torch.rand(args.rank, in_features) * 2 - 1).mul_(bound).requires_grad_(True)
            lora_tensors[f'{peft}.lora_B.weight'] = torch.zeros(out_features, args.rank, requires_grad=True)
    lora = make_lora(config, args.rank, 2 * args.rank, targets, lora_tensors)

    batch, length = args.batch, args.seq
    generator = torch.Generator().manual_seed(1)
    input_ids = torch.randint(0, config.vocab_size, (batch, length), generator=generator)
    attention_mask = torch.ones(batch, length, dtype=torch.int64)
    token_targets = torch.randint(0, config.vocab_size, (batch, length), generator=generator)
    # The same loss rows as the engine's benchmark: the second half of each sequence counts.
    loss_mask = torch.zeros(batch, length)
    loss_mask[:, length // 2:] = 1
    positions = loss_mask.reshape(-1).nonzero()[:, 0]
    params = list(lora_tensors.values())

    def step():
        hidden = llama_hidden(config, weights, lora, input_ids, attention_mask)
        if args.full_logits:
            logits = F.linear(hidden, weights['model.embed_tokens.weight'])
            nll = F.cross_entropy(logits.view(-1, config.vocab_size), token_targets.view(-1), reduction='none')
            loss = (nll * loss_mask.view(-1)).sum() / loss_mask.sum()
        else:
            rows = hidden.reshape(-1, h)[positions]
            logits = F.linear(rows, weights['model.embed_tokens.weight'])
            loss = F.cross_entropy(logits, token_targets.reshape(-1)[positions])
        grads = torch.autograd.grad(loss, params)
        return loss.item(), grads

    def timed_step():
        start = time.perf_counter()
        step()
        return time.perf_counter() - start

    for _ in range(args.warmup):
        step()
    if args.interleaved:
        # Another process alternates its steps with ours, so that load from elsewhere falls on both.
        print('ready', flush=True)
        times = []
        while sys.stdin.readline().strip() == 'step':
            times.append(timed_step())
            print(f'{times[-1]:.4f}', flush=True)
    else:
        times = [timed_step() for _ in range(args.steps)]
    seconds = sorted(times)[len(times) // 2]  # the median: steady under other load on a shared machine
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads, BLAS: {blas_name()}', file=sys.stderr)
    print(f'pytorch_tokens_per_s={batch * length / seconds:.1f} step_s={seconds:.3f} '
          f'best_step_s={min(times):.3f} peak_rss_mb={peak_rss_mb:.0f}')


def blas_name():
    """The BLAS library this process loaded (Debian's torch calls whichever libblas.so.3 is installed)."""
    with open('/proc/self/maps') as maps:
        libraries = {line.split()[-1] for line in maps if 'blas' in line.lower()}
    return ', '.join(sorted(os.path.basename(lib) for lib in libraries)) or 'none loaded'


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest='command', required=True)
    ref = commands.add_parser('reference')
    ref.add_argument('--model', required=True)
    ref.add_argument('--adapter', required=True)
    ref.add_argument('--inputs', required=True)
    ref.add_argument('--out', required=True)
    b = commands.add_parser('bench')
    for name, default in [('hidden', 576), ('layers', 30), ('heads', 9), ('kv-heads', 3), ('intermediate', 1536),
                          ('vocab', 49152), ('batch', 4), ('seq', 128), ('rank', 8), ('threads', 2), ('steps', 3), ('warmup', 1)]:
        b.add_argument(f'--{name}', type=int, default=default)
    b.add_argument('--targets', default='q_proj,v_proj')
    b.add_argument('--full-logits', action='store_true', help='logits for every position, as HF computes them')
    b.add_argument('--interleaved', action='store_true', help='after warm-up print "ready", then time one step per "step" line on stdin')
    args = parser.parse_args()
    torch.set_grad_enabled(True)
    (reference if args.command == 'reference' else bench)(args)


if __name__ == '__main__':
    main()
