package io.troupe.export.onnx;

import io.troupe.edge.contract.PolicyContract;
import io.troupe.export.onnx.OnnxProto.Model;
import io.troupe.export.onnx.OnnxProto.Node;
import io.troupe.export.onnx.OnnxProto.OpsetId;
import io.troupe.export.onnx.OnnxProto.Tensor;
import io.troupe.export.onnx.OnnxProto.ValueInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A structural check of an exported graph against its contract, without a runtime: the opset and IR version, the
 * inputs' and outputs' names, element types and shapes, every node's inputs defined before use (a graph input, an
 * initializer or an earlier node's output), every value defined once, every initializer's bytes matching its shape, and
 * the metadata naming the contract's env and weights.
 */
public final class GraphCheck {
    private GraphCheck() {
    }

    /** What is wrong with {@code model} for {@code contract}; empty when nothing is. */
    public static List<String> check(Model model, PolicyContract contract) {
        List<String> problems = new ArrayList<>();
        List<OpsetId> defaults = model.opsets().stream().filter(o -> o.domain().isEmpty()).toList();
        if (defaults.size() != 1 || defaults.get(0).version() != contract.opset()) {
            problems.add("opset: expected one import of the default domain at version " + contract.opset()
                    + ", found " + model.opsets());
        }
        if (model.irVersion() != OnnxExporter.irVersion(contract.opset())) {
            problems.add("ir_version " + model.irVersion() + " does not go with opset " + contract.opset()
                    + " (expected " + OnnxExporter.irVersion(contract.opset()) + ")");
        }
        List<ValueInfo> inputs = model.graph().inputs();
        if (inputs.size() != contract.inputs().size()) {
            problems.add("inputs: expected " + contract.inputs().size() + ", found " + inputs.size());
        }
        for (int i = 0; i < Math.min(inputs.size(), contract.inputs().size()); i++) {
            PolicyContract.Input want = contract.inputs().get(i);
            expect(problems, "input " + i, inputs.get(i), want.name(), PolicyGraph.elemType(want.dtype()),
                    want.shape());
        }
        List<ValueInfo> outputs = model.graph().outputs();
        if (outputs.size() != contract.outputs().size()) {
            problems.add("outputs: expected " + contract.outputs().size() + ", found " + outputs.size());
        }
        for (int i = 0; i < Math.min(outputs.size(), contract.outputs().size()); i++) {
            PolicyContract.Output want = contract.outputs().get(i);
            expect(problems, "output " + i, outputs.get(i), want.name(), PolicyGraph.elemType(want.dtype()),
                    want.shape());
        }
        Set<String> defined = new HashSet<>();
        for (ValueInfo v : inputs) {
            define(problems, defined, v.name(), "graph input");
        }
        for (Tensor t : model.graph().initializers()) {
            define(problems, defined, t.name(), "initializer");
            long bytes = t.elements() * bytesPer(t.dataType());
            if (t.raw().length != bytes) {
                problems.add("initializer " + t.name() + " of shape " + Arrays.toString(t.dims()) + " holds "
                        + t.raw().length + " bytes, expected " + bytes);
            }
        }
        for (int n = 0; n < model.graph().nodes().size(); n++) {
            Node node = model.graph().nodes().get(n);
            if (node.opType().isEmpty()) {
                problems.add("node " + n + " (" + node.name() + ") has no op_type");
            }
            for (String in : node.inputs()) {
                if (!in.isEmpty() && !defined.contains(in)) {
                    problems.add("node " + n + " (" + node.opType() + " " + node.name() + ") reads " + in
                            + " before anything defines it");
                }
            }
            for (String out : node.outputs()) {
                define(problems, defined, out, "output of node " + n + " (" + node.opType() + ")");
            }
        }
        for (ValueInfo v : outputs) {
            if (!defined.contains(v.name())) {
                problems.add("graph output " + v.name() + " is not computed by any node");
            }
        }
        if (!contract.envId().equals(model.metadata(OnnxExporter.META_ENV_ID))) {
            problems.add("metadata " + OnnxExporter.META_ENV_ID + " is " + model.metadata(OnnxExporter.META_ENV_ID)
                    + ", expected " + contract.envId());
        }
        if (!contract.weightsSha256().equals(model.metadata(OnnxExporter.META_WEIGHTS_SHA256))) {
            problems.add("metadata " + OnnxExporter.META_WEIGHTS_SHA256 + " does not match the contract's");
        }
        return problems;
    }

    private static void expect(List<String> problems, String what, ValueInfo v, String name, int elemType,
                               long[] shape) {
        if (!v.name().equals(name) || v.elemType() != elemType || !Arrays.equals(v.dims(), shape)) {
            problems.add(what + ": expected " + name + " (element type " + elemType + ") " + Arrays.toString(shape)
                    + ", found " + v.name() + " (element type " + v.elemType() + ") " + Arrays.toString(v.dims()));
        }
    }

    private static void define(List<String> problems, Set<String> defined, String name, String what) {
        if (!defined.add(name)) {
            problems.add(what + " " + name + " defines a value that is already defined");
        }
    }

    private static int bytesPer(int dataType) {
        return switch (dataType) {
            case OnnxProto.FLOAT, OnnxProto.INT32 -> 4;
            case OnnxProto.INT64 -> 8;
            case OnnxProto.UINT8, OnnxProto.INT8 -> 1;
            default -> -1; // not a type Troupe writes: reported as a size mismatch
        };
    }
}
