package io.troupe.export.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.troupe.export.onnx.OnnxProto.Attribute;
import io.troupe.export.onnx.OnnxProto.Model;
import io.troupe.export.onnx.OnnxProto.Node;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Troupe's ONNX messages read back what they wrote, field for field, and ONNX Runtime reads the same bytes: a small
 * graph {@code y = Transpose(x) * 2} with a dynamic batch dimension, one attribute of each kind Troupe writes.
 */
class OnnxProtoTest {

    @Test
    void aWrittenModelReadsBackFieldForFieldAndRunsInOnnxRuntime() throws Exception {
        GraphBuilder b = new GraphBuilder();
        String x = b.input("x", OnnxProto.FLOAT, new long[] {-1, 3});
        String t = b.op("Transpose", List.of(Attribute.ints("perm", 1, 0)), x);
        String y = b.op("Mul", t, b.scalar("two", 2f));
        String ln = b.op("LayerNormalization", List.of(Attribute.of("axis", -1L), Attribute.of("epsilon", 1e-5f)),
                b.op("Identity", x), b.weight("g", new float[] {1, 1, 1}, 3), b.weight("bt", new float[] {0, 0, 0}, 3));
        String gelu = b.op("Gelu", List.of(Attribute.of("approximate", "none")), x);
        b.output(y, "y", OnnxProto.FLOAT, new long[] {3, -1});
        b.output(ln, "ln", OnnxProto.FLOAT, new long[] {-1, 3});
        b.output(gelu, "gelu", OnnxProto.FLOAT, new long[] {-1, 3});
        Model written = new Model(9, List.of(new OnnxProto.OpsetId("", 20)), "troupe", "1.2.3", "doc",
                b.build("g"), List.of(new OnnxProto.Entry("k", "v é")));

        Model read = Model.parse(written.toBytes());
        assertEquals(9, read.irVersion());
        assertEquals(written.opsets(), read.opsets());
        assertEquals("troupe", read.producerName());
        assertEquals("1.2.3", read.producerVersion());
        assertEquals("doc", read.docString());
        assertEquals("v é", read.metadata("k"));
        assertNull(read.metadata("absent"));
        assertEquals("g", read.graph().name());
        assertEquals(written.graph().inputs(), read.graph().inputs());
        assertEquals(written.graph().outputs().size(), read.graph().outputs().size());
        assertArrayEquals(new long[] {3, -1}, read.graph().outputs().get(0).dims());
        assertEquals(written.graph().nodes().size(), read.graph().nodes().size());
        Node transpose = read.graph().nodes().get(0);
        assertEquals("Transpose", transpose.opType());
        assertEquals(List.of("x"), transpose.inputs());
        assertArrayEquals(new long[] {1, 0}, transpose.attribute("perm").ints());
        Node norm = read.graph().nodes().stream().filter(n -> n.opType().equals("LayerNormalization")).findFirst()
                .orElseThrow();
        assertEquals(-1L, norm.attribute("axis").i());
        assertEquals(1e-5f, norm.attribute("epsilon").f());
        assertEquals(OnnxProto.ATTR_FLOAT, norm.attribute("epsilon").type());
        Node g = read.graph().nodes().stream().filter(n -> n.opType().equals("Gelu")).findFirst().orElseThrow();
        assertEquals("none", g.attribute("approximate").s());
        OnnxProto.Tensor two = read.graph().initializers().get(0);
        assertArrayEquals(new long[0], two.dims());
        assertEquals(1, two.elements());
        assertArrayEquals(written.graph().initializers().get(0).raw(), two.raw());
        assertEquals(written.toBytes().length, read.toBytes().length);
        assertArrayEquals(written.toBytes(), read.toBytes());

        try (OrtRunner ort = new OrtRunner(written.toBytes())) {
            try (OnnxTensor input = OnnxTensor.createTensor(OrtEnvironment.getEnvironment(),
                    new float[][] {{1, 2, 3}, {4, 5, 6}});
                 OrtSession.Result result = ort.session().run(Map.of("x", input))) {
                float[][] out = (float[][]) result.get("y").orElseThrow().getValue();
                assertArrayEquals(new float[] {2, 8}, out[0]);
                assertArrayEquals(new float[] {6, 12}, out[2]);
            }
        }
    }
}
