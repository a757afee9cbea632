package io.troupe.export.quant;

import io.troupe.export.onnx.OnnxProto.Graph;
import io.troupe.export.onnx.OnnxProto.Node;
import io.troupe.export.onnx.OnnxProto.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Renames every value of a graph but its inputs and outputs to the shortest names free ({@code a}, {@code b}, ...,
 * {@code Z}, {@code ba}, ...) and drops node names, which ONNX makes optional. A value name is written once per use
 * (initializer, each node input, each node output): in a small int8 graph, whose weights are a quarter of the float
 * graph's, the descriptive names were a third of the file. The inputs and outputs keep their names: they are the
 * contract's.
 */
final class ShortNames {
    private static final String LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

    private ShortNames() {
    }

    static Graph of(Graph graph) {
        Set<String> kept = new HashSet<>();
        graph.inputs().forEach(v -> kept.add(v.name()));
        graph.outputs().forEach(v -> kept.add(v.name()));
        Map<String, String> names = new HashMap<>();
        int[] next = {0};
        Function<String, String> rename = n -> {
            if (n.isEmpty() || kept.contains(n)) {
                return n; // an omitted optional input, or an input or output of the graph
            }
            return names.computeIfAbsent(n, k -> {
                String s;
                do {
                    s = name(next[0]++);
                } while (kept.contains(s));
                return s;
            });
        };
        List<Tensor> inits = new ArrayList<>();
        for (Tensor t : graph.initializers()) {
            inits.add(new Tensor(rename.apply(t.name()), t.dataType(), t.dims(), t.raw()));
        }
        List<Node> nodes = new ArrayList<>();
        for (Node n : graph.nodes()) {
            nodes.add(new Node("", n.opType(), n.inputs().stream().map(rename).toList(),
                    n.outputs().stream().map(rename).toList(), n.attributes()));
        }
        return new Graph(graph.name(), nodes, inits, graph.inputs(), graph.outputs());
    }

    /** The {@code k}-th name: a, ..., Z, ba, bb, ... (base 52, no leading a past one letter). */
    static String name(int k) {
        StringBuilder s = new StringBuilder();
        int v = k;
        do {
            s.append(LETTERS.charAt(v % LETTERS.length()));
            v /= LETTERS.length();
        } while (v > 0);
        return s.reverse().toString();
    }
}
