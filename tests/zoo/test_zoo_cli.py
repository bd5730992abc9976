"""``graphcost zoo list``, ``build`` and ``build-all`` through graphcost.cli.main."""

from __future__ import annotations

import onnx
import pytest

from graphcost.cli import main
from graphcost.zoo import CATALOG, build_model, serialize_model


def run_cli(argv: list[str]) -> int:
    """Return main's exit status, including argparse's, which exits through SystemExit."""
    try:
        return main(argv)
    except SystemExit as exit_request:
        return exit_request.code


def test_list_prints_every_model(capsys):
    assert main(["zoo", "list"]) == 0
    output = capsys.readouterr().out
    for name in CATALOG:
        assert name in output
    assert "219" in output, "published V3-Large MAdds"
    assert "4.97" in output, "published SSDLite V3 params"


def test_build_writes_requested_variant(tmp_path, capsys):
    path = tmp_path / "v3.onnx"
    argv = ["zoo", "build", "mobilenet_v3_small", "-o", str(path), "--width", "0.75", "--hswish", "tf"]
    argv += ["--bn", "keep", "--no-se", "--num-classes", "10", "--resolution", "192", "--opset", "13"]
    assert main(argv) == 0

    expected = build_model(
        "mobilenet_v3_small", width=0.75, hswish="tf", bn="keep", se=False, num_classes=10, resolution=192, opset=13
    )
    assert path.read_bytes() == serialize_model(expected)
    model = onnx.load(str(path))
    assert model.opset_import[0].version == 13
    assert str(path) in capsys.readouterr().out


def test_build_all_writes_catalog(tmp_path):
    target = tmp_path / "new" / "models"
    assert main(["zoo", "build-all", "-o", str(target)]) == 0
    assert sorted(path.stem for path in target.glob("*.onnx")) == sorted(CATALOG)


@pytest.mark.parametrize(
    "extra_args, expected_text",
    [
        (["--width", "0"], "invalid width 0"),
        (["--width", "-0.5"], "invalid width -0.5"),
        (["--width", "5"], "invalid width 5"),
        (["--width", "nan"], "invalid width nan"),
        (["--resolution", "16"], "invalid resolution 16"),
        (["--num-classes", "0"], "invalid number of classes 0"),
        (["--opset", "99"], "invalid opset 99"),
        (["--opset", "13"], "mobilenet_v3_small writes HardSwish nodes, which need opset 14 or later"),
        (["--width", "wide"], "invalid float value: 'wide'"),
        (["--bn", "drop"], "invalid choice: 'drop'"),
    ],
    ids=["zero-width", "negative-width", "huge-width", "nan-width", "tiny-resolution", "no-classes",
         "future-opset", "opset-without-hardswish", "text-width", "unknown-bn"],
)
def test_build_rejects_bad_option(tmp_path, capsys, extra_args, expected_text):
    path = tmp_path / "model.onnx"
    status = run_cli(["zoo", "build", "mobilenet_v3_small", "-o", str(path), *extra_args])
    stderr = capsys.readouterr().err

    assert status == 2
    assert expected_text in stderr
    assert stderr.count("\n") == 1, f"expected one line, got: {stderr!r}"
    assert not path.exists()


def test_build_rejects_unknown_name(tmp_path, capsys):
    status = main(["zoo", "build", "mobilenet_v3_lage", "-o", str(tmp_path / "x.onnx")])
    stderr = capsys.readouterr().err

    assert status == 2
    assert stderr.startswith("graphcost: error: unknown model 'mobilenet_v3_lage'")
    assert "mobilenet_v3_large" in stderr, "suggests the closest name"
    assert "graphcost zoo list" in stderr
    assert stderr.count("\n") == 1


def test_build_rejects_unwritable_output(tmp_path, capsys):
    path = tmp_path / "missing" / "x.onnx"
    status = main(["zoo", "build", "mobilenet_v2", "-o", str(path)])
    stderr = capsys.readouterr().err

    assert status == 2
    assert stderr.startswith(f"graphcost: error: cannot write {path}")
    assert "-o" in stderr
    assert stderr.count("\n") == 1


def test_build_all_rejects_file_as_directory(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    status = main(["zoo", "build-all", "-o", str(blocker / "models")])
    stderr = capsys.readouterr().err

    assert status == 2
    assert "cannot create directory" in stderr
    assert stderr.count("\n") == 1


def test_zoo_without_subcommand_exits_2(capsys):
    assert run_cli(["zoo"]) == 2
    assert "ZOO_COMMAND" in capsys.readouterr().err


@pytest.mark.parametrize(
    "name, extra_args",
    [
        ("mobilenet_v2", []),
        ("mobilenet_v2", ["--hswish", "op"]),
        ("mobilenet_v3_large", ["--activation", "relu"]),
        ("mobilenet_v3_small", ["--hswish", "tf"]),
        ("mobilenet_v3_small", ["--hswish", "clip-div"]),
    ],
    ids=["v2", "v2-hswish-op", "v3-all-relu", "v3-tf", "v3-clip-div"],
)
@pytest.mark.parametrize("opset", [11, 13])
def test_build_without_hardswish_before_opset_14(tmp_path, capsys, name, extra_args, opset):
    path = tmp_path / "model.onnx"

    status = run_cli(["zoo", "build", name, "-o", str(path), "--opset", str(opset), *extra_args])

    assert status == 0, capsys.readouterr().err
    model = onnx.load(str(path))
    assert model.opset_import[0].version == opset
    assert "HardSwish" not in {node.op_type for node in model.graph.node}
    onnx.checker.check_model(model, full_check=True)


def test_all_relu_v3_keeps_hardsigmoid_gates(tmp_path):
    path = tmp_path / "v3_relu.onnx"

    assert main(["zoo", "build", "mobilenet_v3_large", "-o", str(path), "--activation", "relu", "--opset", "13"]) == 0

    op_types = [node.op_type for node in onnx.load(str(path)).graph.node]
    assert op_types.count("HardSigmoid") == 8, "one per SE block"


@pytest.mark.parametrize("opset", [11, 12, 13])
def test_hardswish_before_opset_14_names_alternatives(tmp_path, capsys, opset):
    path = tmp_path / "v3.onnx"

    status = run_cli(["zoo", "build", "mobilenet_v3_large", "-o", str(path), "--opset", str(opset)])
    stderr = capsys.readouterr().err

    assert status == 2
    assert f"but --opset is {opset}" in stderr
    assert "use --opset 14 or later" in stderr
    assert "--hswish tf or --hswish clip-div" in stderr
    assert stderr.count("\n") == 1, f"expected one line, got: {stderr!r}"
    assert not path.exists()


@pytest.mark.parametrize(
    "argv",
    [["zoo", "build", "mobilenet_v3_small", "-o", "{dir}/v3.onnx"], ["zoo", "build-all", "-o", "{dir}/models"]],
    ids=["build", "build-all"],
)
def test_quiet_build_prints_nothing(tmp_path, capsys, argv):
    argv = [arg.format(dir=tmp_path) for arg in argv]

    assert main([*argv, "-q"]) == 0

    output = capsys.readouterr()
    assert output.out == ""
    assert output.err == ""
    assert list(tmp_path.iterdir()), "the model was still written"


def test_quiet_build_still_prints_errors(tmp_path, capsys):
    status = run_cli(["zoo", "build", "mobilenet_v3_small", "-o", str(tmp_path / "v3.onnx"), "--opset", "13", "-q"])

    assert status == 2
    assert "graphcost: error: mobilenet_v3_small writes HardSwish nodes" in capsys.readouterr().err
