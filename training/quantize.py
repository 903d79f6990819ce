"""Stage `quantize`: int8 dynamic quantization of the exported ONNX models (no onnxruntime here).

Every MatMul whose second input is a 2-D float initializer W[K, N] (the Linear layers and the
tied output projection) becomes the subgraph onnxruntime's dynamic quantizer emits:
    x -> DynamicQuantizeLinear -> (x_q uint8, x_scale, x_zp)
    MatMulInteger(x_q, W_q int8, x_zp, 0) -> Cast(float) -> Mul(x_scale * W_scale)
Weights are symmetric int8 with one scale per output column (per-channel). MatMuls between two
activations (q.k^T and probs.v) are left alone, so attention probabilities stay visible as the
Softmax between them. The merged decoder is built by quantizing decoder_model and
decoder_with_past_model separately and merging them with onnx_tools.merge_decoders.
"""
import os

import numpy as np
import onnx
from onnx import helper, numpy_helper

from onnx_tools import merge_decoders


def quantize_weight(w):
    """Symmetric per-column int8: w ~= q * scale[None, :]."""
    scale = np.abs(w).max(axis=0) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.round(w / scale[None, :]), -127, 127).astype(np.int8)
    return q, scale.astype(np.float32)


def quantize_model(model):
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    new_nodes, new_inits, used_weights, count = [], [], set(), 0
    for node in g.node:
        w = inits.get(node.input[1]) if node.op_type == "MatMul" and len(node.input) == 2 else None
        if w is None or len(w.dims) != 2 or w.data_type != onnx.TensorProto.FLOAT:
            new_nodes.append(node)
            continue
        count += 1
        x, y, base = node.input[0], node.output[0], f"{node.input[1]}_{count}"
        if w.name not in used_weights:
            q, scale = quantize_weight(numpy_helper.to_array(w))
            new_inits += [numpy_helper.from_array(q, w.name + "_quantized"),
                          numpy_helper.from_array(scale, w.name + "_scale"),
                          numpy_helper.from_array(np.array(0, dtype=np.int8), w.name + "_zero_point")]
            used_weights.add(w.name)
        xq, xs, xz = base + "_x_q", base + "_x_scale", base + "_x_zp"
        new_nodes += [
            helper.make_node("DynamicQuantizeLinear", [x], [xq, xs, xz], name=base + "_QuantizeLinear"),
            helper.make_node("MatMulInteger", [xq, w.name + "_quantized", xz, w.name + "_zero_point"],
                             [base + "_int32"], name=base + "_MatMulInteger"),
            helper.make_node("Cast", [base + "_int32"], [base + "_float"], to=onnx.TensorProto.FLOAT,
                             name=base + "_Cast"),
            helper.make_node("Mul", [xs, w.name + "_scale"], [base + "_scale"], name=base + "_ScaleMul"),
            helper.make_node("Mul", [base + "_float", base + "_scale"], [y], name=base + "_OutMul"),
        ]
    still_used = {i for n in new_nodes for i in n.input}
    keep = [t for t in g.initializer if t.name in still_used] + new_inits
    del g.node[:]
    g.node.extend(new_nodes)
    del g.initializer[:]
    g.initializer.extend(keep)
    onnx.checker.check_model(model)
    return model, count


def run(cfg):
    onnx_dir = os.path.join(cfg["out_dir"], "onnx")
    tmp = os.path.join(cfg["run_dir"], "onnx")
    enc, n = quantize_model(onnx.load(os.path.join(onnx_dir, "encoder_model.onnx")))
    onnx.save(enc, os.path.join(onnx_dir, "encoder_model_quantized.onnx"))
    dec, n1 = quantize_model(onnx.load(os.path.join(tmp, "decoder_model.onnx")))
    past, n2 = quantize_model(onnx.load(os.path.join(tmp, "decoder_with_past_model.onnx")))
    onnx.save(merge_decoders(dec, past), os.path.join(onnx_dir, "decoder_model_merged_quantized.onnx"))
    print(f"quantize: {n} encoder MatMuls, {n1}/{n2} decoder MatMuls (no past/with past)")
    for name in sorted(os.listdir(onnx_dir)):
        print(f"quantize: onnx/{name} {os.path.getsize(os.path.join(onnx_dir, name)) / 1e6:.1f} MB")
