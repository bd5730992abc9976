"""Loader: graph structure, weights versus inputs, liveness, external data, subgraphs."""

from __future__ import annotations

import networkx as nx
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import graphcost
from conftest import TORCHVISION_MODELS, parse_model

CONV_RELU = """
g (float[1,3,8,8] x) => (float y) <float[4,3,3,3] w, float[4] b> {
  c = Conv<pads=[1,1,1,1]>(x, w, b)
  y = Relu(c)
}
"""


def test_graph_is_networkx_dag_with_tensor_edges():
    model = graphcost.load(parse_model(CONV_RELU))
    assert isinstance(model.graph, nx.DiGraph)
    assert nx.is_directed_acyclic_graph(model.graph)
    assert model.graph.number_of_nodes() == 2
    (producer, consumer, data), = model.graph.edges(data=True)
    assert (model.graph.nodes[producer]["op_type"], model.graph.nodes[consumer]["op_type"]) == ("Conv", "Relu")
    tensor = data["tensors"][0]
    assert (tensor.name, tensor.shape, tensor.dtype, tensor.nbytes) == ("c", (1, 4, 8, 8), "float32", 1_024)


def test_cost_stored_on_graph_nodes():
    model = graphcost.load(parse_model(CONV_RELU))
    report = graphcost.analyze(model)
    conv_key = next(key for key, data in model.graph.nodes(data=True) if data["op_type"] == "Conv")
    # 4*8*8 outputs * 3*3*3 taps = 6,912 MACs.
    assert model.graph.nodes[conv_key]["cost"].macs == 6_912
    assert report.totals.macs == 6_912


def test_model_proto_not_modified():
    proto = parse_model("g (float[batch,3,8,8] x) => (float y) <float[4,3,3,3] w> { y = Conv(x, w) }")
    before = proto.SerializeToString()
    graphcost.analyze(proto, input_shapes=["x=2x3x8x8"])
    assert proto.SerializeToString() == before


def test_ir3_initializers_listed_as_inputs():
    # Old exporters list every initializer among the graph inputs too.
    weight = numpy_helper.from_array(np.zeros((4, 3, 1, 1), np.float32), "w")
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["y"])],
        "ir3",
        [
            helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 5, 5]),
            helper.make_tensor_value_info("w", TensorProto.FLOAT, [4, 3, 1, 1]),
        ],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [weight],
    )
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 9)], ir_version=3)
    report = graphcost.analyze(proto)
    assert [tensor.name for tensor in report.inputs] == ["x"]
    assert report.totals.param_count == 12
    # 4*5*5 outputs * 3 taps.
    assert report.totals.macs == 300


def test_nodes_in_any_order():
    proto = parse_model(CONV_RELU)
    reversed_proto = onnx.ModelProto()
    reversed_proto.CopyFrom(proto)
    nodes = list(reversed_proto.graph.node)[::-1]
    del reversed_proto.graph.node[:]
    reversed_proto.graph.node.extend(nodes)
    expected = graphcost.analyze(proto)
    report = graphcost.analyze(reversed_proto)
    assert [row.op_type for row in report.rows] == ["Conv", "Relu"]
    assert report.totals.to_dict() == expected.totals.to_dict()


def test_dead_nodes_and_unused_initializers():
    report = graphcost.analyze(
        parse_model(
            """
            g (float[1,3,8,8] x) => (float y) <float[4,3,1,1] w, float[8,3,1,1] w_dead, float[5] unused> {
              y = Conv(x, w)
              dead = Conv(x, w_dead)
              dead2 = Relu(dead)
            }
            """
        )
    )
    assert [row.op_type for row in report.rows] == ["Conv"]
    assert len(report.dead_nodes) == 2
    assert report.unused_initializers == ["unused", "w_dead"]
    # Only the live conv: 4*8*8*3 MACs and 12 params.
    assert report.totals.macs == 768
    assert report.totals.param_count == 12


def test_constant_nodes_are_not_inputs():
    report = graphcost.analyze(
        parse_model(
            """
            g (float[1,4] x) => (float y) {
              bias = Constant<value = float[4] {1, 2, 3, 4}>()
              y = Add(x, bias)
            }
            """
        )
    )
    assert [tensor.name for tensor in report.inputs] == ["x"]
    constant_row = next(row for row in report.rows if row.op_type == "Constant")
    assert constant_row.status.value == "free"
    add_row = next(row for row in report.rows if row.op_type == "Add")
    # The Constant's 4 floats are a weight of Add, counted once.
    assert (add_row.read_bytes, add_row.weight_bytes, add_row.param_count) == (16, 16, 4)


def test_shared_weight_counted_once():
    # Two convs read the same weight, one directly, one through an Identity.
    report = graphcost.analyze(
        parse_model(
            """
            g (float[1,3,4,4] x) => (float y) <float[3,3,1,1] w> {
              w2 = Identity(w)
              a = Conv(x, w)
              b = Conv(a, w2)
              y = Add(a, b)
            }
            """
        )
    )
    assert report.totals.param_count == 9
    convs = [row for row in report.rows if row.op_type == "Conv"]
    assert [row.param_count for row in convs] == [9, 0]
    # Both read the weight: 36 bytes each.
    assert [row.weight_bytes for row in convs] == [36, 36]
    assert report.totals.weight_storage_bytes == 36


def test_external_data_never_read(tmp_path):
    # A 400 MB weight stored externally; the data file is then deleted, so
    # any attempt to read it would fail. Sizes come from the dims.
    weight = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[10_000, 10_000])
    weight.data_location = TensorProto.EXTERNAL
    entry = weight.external_data.add()
    entry.key, entry.value = "location", "../outside/weights.bin"
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])],
        "external",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 10_000])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [weight],
    )
    path = tmp_path / "big.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    report = graphcost.analyze(path)
    assert report.totals.param_count == 100_000_000
    assert report.totals.macs == 100_000_000
    assert report.totals.weight_storage_bytes == 400_000_000


def test_model_local_function_inlined():
    proto = onnx.parser.parse_model(
        """
        <ir_version: 8, opset_import: ["" : 17, "local" : 1]>
        g (float[1,8] x) => (float y) {
          y = local.DoubleRelu(x)
        }
        <domain: "local", opset_import: ["" : 17]>
        DoubleRelu (a) => (b) {
          t = Relu(a)
          b = Relu(t)
        }
        """
    )
    report = graphcost.analyze(proto)
    assert [row.op_type for row in report.rows] == ["Relu", "Relu"]
    assert report.totals.elementwise_ops == 16


def test_declared_custom_domain_uncosted():
    proto = onnx.parser.parse_model(
        """
        <ir_version: 8, opset_import: ["" : 17, "com.example" : 1]>
        g (float[1,8] x) => (float y) {
          t = com.example.Mystery(x)
          y = Relu(x)
        }
        """
    )
    report = graphcost.analyze(proto)
    # The custom node is dead here (y does not depend on it): not counted.
    assert len(report.dead_nodes) == 1


def test_custom_op_reported_uncosted():
    proto = onnx.parser.parse_model(
        """
        <ir_version: 8, opset_import: ["" : 17, "com.example" : 1]>
        g (float[1,8] x) => (float[1,8] y) {
          y = com.example.Mystery(x)
        }
        """
    )
    report = graphcost.analyze(proto)
    assert report.uncosted_op_types == {"Mystery": 1}
    assert report.rows[0].status.value == "uncosted"
    # Its bytes still count: 8 floats in.
    assert report.rows[0].read_bytes == 32


IF_MODEL = """
<ir_version: 8, opset_import: ["" : 17]>
g (bool cond, float[1,16] x) => (float y) <float[16,32] w> {
  y = If(cond) <
    then_branch = then_graph () => (float t) { t = MatMul(x, w) },
    else_branch = else_graph () => (float e) { e = Relu(x) }
  >
}
"""


def test_if_counts_more_expensive_branch():
    proto = onnx.parser.parse_model(IF_MODEL)
    proto.graph.initializer.append(numpy_helper.from_array(np.zeros((16, 32), np.float32), "w"))
    report = graphcost.analyze(proto)
    row = report.rows[0]
    # then: 1x16 @ 16x32 = 512 MACs; else: 16 element-wise ops.
    assert row.macs == 512
    assert "then_branch" in row.reason
    # The then branch's weight is stored in the model: 512 parameters.
    assert report.totals.param_count == 512
    assert report.assumptions()


def loop_model(trip_count_is_constant: bool) -> onnx.ModelProto:
    body = onnx.parser.parse_graph(
        """
        body (int64 i, bool cond_in, float[1,8] acc_in) => (bool cond_out, float[1,8] acc_out) {
          cond_out = Identity(cond_in)
          acc_out = MatMul(acc_in, w)
        }
        """
    )
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8])]
    initializers = [numpy_helper.from_array(np.zeros((8, 8), np.float32), "w")]
    if trip_count_is_constant:
        initializers.append(numpy_helper.from_array(np.array(5, np.int64), "trips"))
    else:
        inputs.append(helper.make_tensor_value_info("trips", TensorProto.INT64, []))
    initializers.append(numpy_helper.from_array(np.array(True), "cond"))
    graph = helper.make_graph(
        [helper.make_node("Loop", ["trips", "cond", "x"], ["y"], body=body)],
        "loop",
        inputs,
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        initializers,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_loop_constant_trip_count():
    report = graphcost.analyze(loop_model(trip_count_is_constant=True))
    # Body: 1x8 @ 8x8 = 64 MACs, 5 iterations.
    assert report.rows[0].macs == 320
    assert "5 iterations" in report.rows[0].reason


def test_loop_unknown_trip_count_flagged():
    report = graphcost.analyze(loop_model(trip_count_is_constant=False))
    assert report.rows[0].macs == 64
    assert "unknown" in report.rows[0].reason
    assert any("unknown" in line for line in report.assumptions())


def test_scan_multiplies_by_sequence_length():
    body = onnx.parser.parse_graph(
        """
        body (float[4] state_in, float[4] item) => (float[4] state_out, float[4] scan_out) {
          state_out = Add(state_in, item)
          scan_out = Identity(state_out)
        }
        """
    )
    graph = helper.make_graph(
        [helper.make_node("Scan", ["init", "seq"], ["final", "all"], body=body, num_scan_inputs=1)],
        "scan",
        [
            helper.make_tensor_value_info("init", TensorProto.FLOAT, [4]),
            helper.make_tensor_value_info("seq", TensorProto.FLOAT, [6, 4]),
        ],
        [helper.make_tensor_value_info("final", TensorProto.FLOAT, None)],
    )
    report = graphcost.analyze(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]))
    # 6 steps * 4 adds.
    assert report.rows[0].elementwise_ops == 24


@pytest.mark.parametrize("name", sorted(TORCHVISION_MODELS))
def test_real_model_loads_every_shape(name):
    model = graphcost.load(TORCHVISION_MODELS[name])
    unknown = [t.name for t in model.tensors.values() if t.shape is None]
    assert unknown == []


def test_shape_derived_constant_bytes_counted():
    # ConstantOfShape(Shape(x)) is known before run time, so it is free, but
    # the Add still reads its 6 floats (24 bytes); they are not parameters.
    report = graphcost.analyze(
        parse_model(
            """
            g (float[2,3] x) => (float y) {
              s = Shape(x)
              ones = ConstantOfShape<value = float[1] {1.0}>(s)
              y = Add(x, ones)
            }
            """
        )
    )
    add_row = next(row for row in report.rows if row.op_type == "Add")
    assert add_row.weight_bytes == 24
    assert add_row.param_count == 0
    assert report.totals.param_count == 0


def test_small_external_tensors(tmp_path):
    # onnx.save moves every tensor of 1 kB or more to the data file, small
    # biases included; their data is never read, their dims are enough.
    weight = numpy_helper.from_array(np.zeros((4096, 64), np.float32), "w")
    bias = numpy_helper.from_array(np.zeros(4096, np.float32), "b")
    graph = helper.make_graph(
        [helper.make_node("Gemm", ["x", "w", "b"], ["y"], transB=1)],
        "external_small",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [weight, bias],
    )
    path = tmp_path / "ext.onnx"
    onnx.save(
        helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]),
        path,
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location="ext.data",
    )
    report = graphcost.analyze(path)
    # 1 x 4096 outputs, 64 MACs each; 4096 x 64 + 4096 params.
    assert report.totals.macs == 262_144
    assert report.totals.param_count == 266_240


def test_garbage_collector_state_restored():
    import gc

    graphcost.analyze(parse_model(CONV_RELU))
    assert gc.isenabled()
    gc.disable()
    try:
        graphcost.analyze(parse_model(CONV_RELU))
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.parametrize("dead_count, expected", [(1, "left 1 dead node ("), (2, "left 2 dead nodes (")])
def test_dead_node_log_counts(caplog, dead_count, expected):
    dead = "\n".join(f"  d{index} = Relu(x)" for index in range(dead_count))
    proto = parse_model(f"g (float[1,8] x) => (float[1,8] y) {{\n  y = Relu(x)\n{dead}\n}}")

    with caplog.at_level("INFO", logger="graphcost.load.graph"):
        graphcost.load(proto)

    assert expected in caplog.text


@pytest.mark.parametrize(
    "input_shape, expected",
    [((4,), "gives input 'x' 1 dim, but the model declares 2; give 2 dims"), ((1, 2, 4), "gives input 'x' 3 dims")],
)
def test_input_rank_message_counts(input_shape, expected):
    with pytest.raises(graphcost.errors.InputShapeError) as error:
        graphcost.load(parse_model("g (float[1,8] x) => (float[1,8] y) { y = Relu(x) }"), input_shapes={"x": input_shape})

    assert expected in str(error.value)
