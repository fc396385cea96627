package io.intbench.sim.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.intbench.isa.IntbenchException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClassLabelsTest {

    @Test
    void readsOneLabelPerLine(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("labels.txt");
        Files.writeString(f, "tench\r\ngoldfish\ngreat white shark\n\n");
        assertEquals(List.of("tench", "goldfish", "great white shark"), ClassLabels.read(f));
    }

    @Test
    void bundledImagenetListHasTheStandardOrder() {
        // Surefire runs in the module folder; the example lives at the repository root.
        List<String> labels = ClassLabels.read(Path.of("..", "examples", "imagenet_classes.txt"));
        assertEquals(1000, labels.size());
        assertEquals("tench", labels.get(0));
        assertEquals("tabby", labels.get(281));
        assertEquals("Egyptian cat", labels.get(285));
        assertEquals("toilet tissue", labels.get(999));
    }

    @Test
    void blankLineInsideAndMissingFileAreRefused(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("labels.txt");
        Files.writeString(f, "a\n\nc\n");
        var e = assertThrows(IntbenchException.InvalidInput.class, () -> ClassLabels.read(f));
        assertTrue(e.getMessage().contains(f + ": line 2 is blank"), e.getMessage());
        Path none = dir.resolve("none.txt");
        var m = assertThrows(IntbenchException.InvalidInput.class, () -> ClassLabels.read(none));
        assertTrue(m.getMessage().contains(none.toString()), m.getMessage());
    }

    @Test
    void topKSortsDescendingWithStableTies() {
        float[] s = {0.1f, 0.9f, 0.5f, 0.9f, Float.NaN, -3f, 0.5f};
        assertArrayEquals(new int[] {1, 3, 2, 6}, ClassLabels.topK(s, 4));
        assertArrayEquals(new int[] {1, 3, 2, 6, 0, 5, 4}, ClassLabels.topK(s, 100));
        assertArrayEquals(new int[0], ClassLabels.topK(s, 0));
        assertThrows(IllegalArgumentException.class, () -> ClassLabels.topK(s, -1));
    }

    @Test
    void topKAgreesWithAFullStableSort() {
        Random r = new Random(7);
        for (int trial = 0; trial < 200; trial++) {
            float[] s = new float[1 + r.nextInt(50)];
            for (int i = 0; i < s.length; i++) {
                s[i] = r.nextInt(10); // many ties
            }
            int k = r.nextInt(s.length + 2);
            // Reference: a stable sort of all indices by descending score, then the first k.
            int[] expected = IntStream.range(0, s.length).boxed()
                    .sorted(Comparator.comparingDouble((Integer i) -> -s[i]))
                    .limit(k).mapToInt(Integer::intValue).toArray();
            assertArrayEquals(expected, ClassLabels.topK(s, k), Arrays.toString(s) + " k=" + k);
        }
    }
}
