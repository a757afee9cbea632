package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.troupe.cluster.util.Json;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void writesObjectsListsEscapesAndNonFiniteAsNull() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("s", "a\"b\\c\n");
        m.put("n", 3);
        m.put("d", 0.25);
        m.put("whole", 2.0);
        m.put("nan", Double.NaN);
        m.put("list", Arrays.asList(1, null, true));
        assertEquals("{\"s\":\"a\\\"b\\\\c\\n\",\"n\":3,\"d\":0.25,\"whole\":2,\"nan\":null,\"list\":[1,null,true]}",
                Json.write(m));
        assertEquals("{\n  \"a\": [1, 2]\n}\n", Json.pretty(Map.of("a", java.util.List.of(1, 2))));
    }
}
