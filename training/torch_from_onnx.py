"""The recipe's PyTorch Transformer rebuilt from an exported model folder (config.json + ONNX files),
so the PyTorch side of a comparison has exactly the weights the engine runs, without a checkpoint.

Named initializers (embedding, biases, LayerNorms) carry their parameter names; the exporter renames
the transposed Linear weights (`onnx::MatMul_N`), so each is found as the MatMul whose output the
named bias is added to.
"""
import json
import os

import numpy as np
import onnx
import torch
from onnx import numpy_helper

import model as M

PREFIX = "m."  # export.py wraps the Transformer as `self.m`


def _nodes(graph):
    """Every node of a graph, including those inside If/Loop branches."""
    for node in graph.node:
        yield node
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                yield from _nodes(attr.g)


def onnx_parameters(path):
    """{parameter name: numpy array} recovered from one exported file."""
    graph = onnx.load(path).graph
    arrays = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    params = {name[len(PREFIX):]: a for name, a in arrays.items() if name.startswith(PREFIX)}
    nodes = list(_nodes(graph))
    weight_of_output = {n.output[0]: n.input[1] for n in nodes if n.op_type == "MatMul" and n.input[1] in arrays}
    for n in nodes:
        if n.op_type != "Add":
            continue
        bias = next((i for i in n.input if i.startswith(PREFIX) and i.endswith(".bias")), None)
        product = next((i for i in n.input if i in weight_of_output), None)
        if bias and product:
            params[bias[len(PREFIX):-len(".bias")] + ".weight"] = arrays[weight_of_output[product]].T
    return params


def load(folder):
    """(model in eval mode, config.json) for a folder the recipe exported."""
    cfg = json.load(open(os.path.join(folder, "config.json")))
    m = M.Transformer(cfg["vocab_size"], cfg["d_model"], cfg["encoder_attention_heads"], cfg["encoder_ffn_dim"],
                      cfg["encoder_layers"], cfg["decoder_layers"], 0.0, cfg["max_position_embeddings"],
                      pad_id=cfg["pad_token_id"], pre_ln=bool(cfg.get("normalize_before")))
    params = {}
    for name in ("encoder_model.onnx", "decoder_model_merged.onnx"):
        params.update(onnx_parameters(os.path.join(folder, "onnx", name)))
    state = m.state_dict()
    missing = sorted(set(state) - set(params))
    if missing:
        raise SystemExit(f"{folder}: no ONNX weight found for {', '.join(missing)}")
    m.load_state_dict({k: torch.from_numpy(np.array(params[k], dtype=np.float32)) for k in state})
    return m.eval(), cfg
