"""ONNX graph helpers shared by the training recipe and the test-fixture generator.

merge_decoders(): fold an Optimum-style `decoder_model.onnx` + `decoder_with_past_model.onnx`
pair into one `decoder_model_merged.onnx` that switches on a `use_cache_branch` input.
"""
import copy
import hashlib

import onnx
from onnx import helper, numpy_helper

USE_CACHE = "use_cache_branch"


def _tensor_key(t: onnx.TensorProto) -> tuple:
    """Content key of an initializer (type, shape, bytes) used to find duplicates across models."""
    data = numpy_helper.to_array(t).tobytes()
    return t.data_type, tuple(t.dims), hashlib.sha256(data).hexdigest()


def _is_small(t: onnx.TensorProto) -> bool:
    """Scalars and 1-D int32/int64 tensors (shape constants) stay inside their branch, as
    Optimum keeps them: onnxruntime mis-optimises some branches if they live in the outer graph."""
    return len(t.dims) == 0 or (len(t.dims) == 1 and t.data_type in (onnx.TensorProto.INT32, onnx.TensorProto.INT64))


def _rename_inputs(graph: onnx.GraphProto, mapping: dict):
    """Rename value references throughout `graph`, including nested subgraphs."""
    for node in graph.node:
        for i, name in enumerate(node.input):
            if name in mapping:
                node.input[i] = mapping[name]
        for attr in node.attribute:
            for sub in ([attr.g] if attr.type == onnx.AttributeProto.GRAPH else []) + list(attr.graphs):
                _rename_inputs(sub, mapping)
    for out in graph.output:
        if out.name in mapping:
            out.name = mapping[out.name]


def _dims(v: onnx.ValueInfoProto) -> list:
    return [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]


def _merged_output(a: onnx.ValueInfoProto, b: onnx.ValueInfoProto) -> onnx.ValueInfoProto:
    """Output type valid for both branches: equal dims kept, differing dims become symbolic."""
    if a.type.tensor_type.elem_type != b.type.tensor_type.elem_type or len(_dims(a)) != len(_dims(b)):
        raise ValueError(f"output {a.name!r} differs in type or rank between the two decoders")
    dims = [x if x == y else f"{a.name}_dim_{i}" for i, (x, y) in enumerate(zip(_dims(a), _dims(b)))]
    return helper.make_tensor_value_info(a.name, a.type.tensor_type.elem_type, dims)


def _pass_through_missing_outputs(no_past: onnx.GraphProto, with_past: onnx.GraphProto):
    """Give the with-past graph every output of the no-past graph, in the same order. An output
    it lacks (the cross-attention `present.*.encoder.*`) must be a `past_key_values.*` input of
    it, and is passed through with an Identity node."""
    have = {o.name: o for o in with_past.output}
    inputs = {i.name: i for i in with_past.input}
    extra = set(have) - {o.name for o in no_past.output}
    if extra:
        raise ValueError(f"decoder_with_past has outputs the decoder lacks: {sorted(extra)}")
    ordered = []
    for out in no_past.output:
        if out.name not in have:
            source = out.name.replace("present", "past_key_values", 1)
            if source not in inputs:
                raise ValueError(f"decoder_with_past lacks output {out.name!r} and input {source!r}")
            with_past.node.append(helper.make_node("Identity", [source], [out.name], name=f"{out.name}_passthrough"))
            have[out.name] = copy.deepcopy(inputs[source])
            have[out.name].name = out.name
        ordered.append(have[out.name])
    del with_past.output[:]
    with_past.output.extend(ordered)


def _merged_inputs(no_past: onnx.GraphProto, with_past: onnx.GraphProto) -> list:
    """Union of the graph inputs, no-past order first; shared names must agree in element type."""
    inputs, seen = [], {}
    for graph in (no_past, with_past):
        for i in graph.input:
            if i.name in seen:
                if seen[i.name].type.tensor_type.elem_type != i.type.tensor_type.elem_type:
                    raise ValueError(f"input {i.name!r} has different element types in the two decoders")
                continue
            seen[i.name] = i
            inputs.append(copy.deepcopy(i))
    return inputs


def _split_initializers(no_past: onnx.GraphProto, with_past: onnx.GraphProto):
    """Returns (outer, no_past_local, with_past_local). Large initializers move to the outer graph,
    identical tensors stored once (with-past references renamed to the kept copy), name clashes
    between different tensors resolved by suffixing the with-past one."""
    outer, by_key, names, local = [], {}, set(), ([], [])
    for which, graph in enumerate((no_past, with_past)):
        renames = {}
        for t in graph.initializer:
            if _is_small(t):
                local[which].append(t)
                continue
            key = _tensor_key(t)
            if key in by_key:
                if by_key[key] != t.name:
                    renames[t.name] = by_key[key]
                continue
            name = t.name
            while name in names:
                name += "_with_past"
            if name != t.name:
                renames[t.name] = name
            kept = copy.deepcopy(t)
            kept.name = name
            outer.append(kept)
            by_key[key], names = name, names | {name}
        _rename_inputs(graph, renames)
    return outer, local[0], local[1]


def _check_no_shadowing(branch: onnx.GraphProto, outer_names: set):
    clash = {o for n in branch.node for o in n.output} & outer_names
    if clash:
        raise ValueError(f"branch {branch.name!r} redefines outer names: {sorted(clash)[:5]}")


def merge_decoders(decoder: onnx.ModelProto, decoder_with_past: onnx.ModelProto) -> onnx.ModelProto:
    """Merge an encoder-decoder's two decoder exports into one model, as Optimum's `merge_decoders`.

    `decoder` takes no cache (e.g. inputs `encoder_attention_mask`, `input_ids`,
    `encoder_hidden_states`) and returns `logits` plus every `present.{i}.{decoder,encoder}.{key,value}`.
    `decoder_with_past` takes the cache (`past_key_values.*`) and returns `logits` plus the
    self-attention presents only.

    The result has one `If` node on a new bool input `use_cache_branch` (shape [1]):
    then-branch = decoder_with_past graph, else-branch = decoder graph. Its inputs are the union
    of both models' inputs (decoder order first, then `use_cache_branch`); its outputs are the
    decoder's. In the with-past branch the missing `present.*.encoder.*` outputs are the matching
    `past_key_values.*.encoder.*` inputs passed through Identity nodes. Large initializers live in
    the outer graph, deduplicated across the branches by content; scalars and 1-D int shape
    constants stay in their branch. When the no-cache branch runs, callers still feed every
    `past_key_values.*` input, with a zero-length past sequence axis.

    Both inputs are left untouched; the models must use the same default-domain opset.
    """
    no_past_model, with_past_model = copy.deepcopy(decoder), copy.deepcopy(decoder_with_past)
    opsets = {}
    for m in (no_past_model, with_past_model):
        for op in m.opset_import:
            if opsets.setdefault(op.domain, op.version) != op.version:
                raise ValueError(f"opset mismatch for domain {op.domain!r}: {opsets[op.domain]} vs {op.version}")
    no_past, with_past = no_past_model.graph, with_past_model.graph
    if not {i.name for i in with_past.input} - {i.name for i in no_past.input}:
        raise ValueError("decoder_with_past has no inputs beyond the decoder's: is it really the with-past model?")
    _pass_through_missing_outputs(no_past, with_past)
    inputs = _merged_inputs(no_past, with_past)
    if any(i.name == USE_CACHE for i in inputs):
        raise ValueError(f"the decoders already have an input named {USE_CACHE!r}")
    outer_inits, no_past_inits, with_past_inits = _split_initializers(no_past, with_past)
    outputs = [_merged_output(a, b) for a, b in zip(no_past.output, with_past.output)]

    else_branch = helper.make_graph(list(no_past.node), "no_past", [], list(no_past.output), no_past_inits)
    then_branch = helper.make_graph(list(with_past.node), "with_past", [], list(with_past.output), with_past_inits)
    outer_names = {i.name for i in inputs} | {t.name for t in outer_inits} | {USE_CACHE}
    for branch in (else_branch, then_branch):
        _check_no_shadowing(branch, outer_names)

    if_node = helper.make_node("If", [USE_CACHE], [o.name for o in outputs], name="optimum::if",
                               then_branch=then_branch, else_branch=else_branch)
    use_cache = helper.make_tensor_value_info(USE_CACHE, onnx.TensorProto.BOOL, [1])
    graph = helper.make_graph([if_node], "merged", inputs + [use_cache], outputs, outer_inits)
    merged = helper.make_model(graph, producer_name="transformer-inspector onnx_tools.merge_decoders",
                               opset_imports=[helper.make_opsetid(d, v) for d, v in opsets.items()])
    merged.ir_version = max(no_past_model.ir_version, with_past_model.ir_version)
    onnx.checker.check_model(merged)
    return merged


def share_transposed_weights(model: onnx.ModelProto) -> onnx.ModelProto:
    """Stores a tied weight once: an outer-graph initializer that is another one transposed (the
    exporter's constant-folded copy of a tied embedding, [V, d] -> [d, V]) becomes a Transpose node of
    the original, which onnxruntime folds back at load time. Halves the unembedding's share of the file.
    Works in place and returns the model."""
    graph = model.graph

    def gathered(g):  # tables read by Gather (embeddings) stay stored; the MatMul side is derived
        for n in g.node:
            if n.op_type == "Gather":
                yield n.input[0]
            for a in n.attribute:
                if a.type == onnx.AttributeProto.GRAPH:
                    yield from gathered(a.g)
    keep = set(gathered(graph))
    by_shape = {}
    for t in graph.initializer:
        if len(t.dims) == 2:
            by_shape.setdefault(tuple(t.dims), []).append(t)
    replaced = []
    for t in list(graph.initializer):
        if len(t.dims) != 2 or t.dims[0] == t.dims[1] or t.name in keep:
            continue
        arr = numpy_helper.to_array(t)
        for other in by_shape.get((t.dims[1], t.dims[0]), []):
            if other.name not in replaced and (numpy_helper.to_array(other).T == arr).all():
                graph.initializer.remove(t)
                graph.node.insert(0, helper.make_node("Transpose", [other.name], [t.name], name=f"tied::{t.name}",
                                                      perm=[1, 0]))
                replaced.append(t.name)
                break
    return model
