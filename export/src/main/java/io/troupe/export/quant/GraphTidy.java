package io.troupe.export.quant;

import io.troupe.export.onnx.OnnxProto.Graph;
import io.troupe.export.onnx.OnnxProto.Node;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Leaves out of a graph an {@code Identity} that only renames an inner value to a graph output: the value's producer
 * writes the output directly. The float graph ends in two (its heads' values named {@code logits} and {@code value});
 * in a small int8 graph each is a visible share of the file. What the graph computes does not change.
 */
final class GraphTidy {
    private GraphTidy() {
    }

    /** Drops each Identity from an inner value read by nothing else to a graph output; the producer writes it. */
    static Graph withoutOutputIdentities(Graph graph) {
        Set<String> outputs = new HashSet<>();
        graph.outputs().forEach(v -> outputs.add(v.name()));
        Set<String> fixed = new HashSet<>(outputs);
        graph.inputs().forEach(v -> fixed.add(v.name()));
        graph.initializers().forEach(t -> fixed.add(t.name()));
        Map<String, Integer> reads = new HashMap<>();
        for (Node n : graph.nodes()) {
            n.inputs().forEach(i -> reads.merge(i, 1, Integer::sum));
        }
        Map<String, String> renamed = new HashMap<>();
        List<Node> kept = new ArrayList<>();
        for (Node n : graph.nodes()) {
            if (n.opType().equals("Identity") && n.inputs().size() == 1 && outputs.contains(n.outputs().get(0))
                    && !fixed.contains(n.inputs().get(0)) && reads.get(n.inputs().get(0)) == 1
                    && !renamed.containsKey(n.inputs().get(0))) {
                renamed.put(n.inputs().get(0), n.outputs().get(0));
                continue;
            }
            kept.add(n);
        }
        if (renamed.isEmpty()) {
            return graph;
        }
        List<Node> nodes = new ArrayList<>();
        for (Node n : kept) {
            nodes.add(new Node(n.name(), n.opType(), n.inputs(), n.outputs().stream()
                    .map(o -> renamed.getOrDefault(o, o)).toList(), n.attributes()));
        }
        return new Graph(graph.name(), nodes, graph.initializers(), graph.inputs(), graph.outputs());
    }
}
