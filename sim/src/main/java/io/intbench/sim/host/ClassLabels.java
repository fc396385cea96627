package io.intbench.sim.host;

import io.intbench.isa.IntbenchException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Class names of a classifier (one per line, line {@code i} naming class index {@code i}, as in
 * torchvision's ImageNet list) and the top-k ranking used to print its predictions.
 */
public final class ClassLabels {
    private ClassLabels() {}

    /**
     * Reads one label per line (UTF-8). Trailing blank lines are ignored; a blank line before the end is
     * an error, because it would shift every later class index by one.
     */
    public static List<String> read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IntbenchException.InvalidInput(file + ": no such label file", e);
        } catch (IOException e) {
            throw new IntbenchException.InvalidInput(file + ": cannot read label file as UTF-8 text: " + e, e);
        }
        int end = lines.size();
        while (end > 0 && lines.get(end - 1).isBlank()) {
            end--;
        }
        if (end == 0) {
            throw new IntbenchException.InvalidInput(file + ": label file has no labels");
        }
        List<String> out = new ArrayList<>(end);
        for (int i = 0; i < end; i++) {
            String label = lines.get(i).strip();
            if (label.isEmpty()) {
                throw new IntbenchException.InvalidInput(file + ": line " + (i + 1)
                        + " is blank; every line up to the last label must name one class");
            }
            out.add(label);
        }
        return List.copyOf(out);
    }

    /**
     * Indices of the {@code k} highest scores (fewer if there are fewer scores), highest first; equal
     * scores keep index order, and NaN ranks below every number.
     */
    public static int[] topK(float[] scores, int k) {
        if (k < 0) {
            throw new IllegalArgumentException("k must not be negative, got " + k);
        }
        int n = Math.min(k, scores.length);
        int[] top = new int[n];
        int filled = 0;
        // Insertion into a sorted prefix: O(len * k), fine for the few classes printed; strict '>' keeps ties stable.
        for (int i = 0; i < scores.length; i++) {
            int pos = filled;
            while (pos > 0 && better(scores[i], scores[top[pos - 1]])) {
                pos--;
            }
            if (pos < n) {
                System.arraycopy(top, pos, top, pos + 1, Math.min(filled, n - 1) - pos);
                top[pos] = i;
                filled = Math.min(filled + 1, n);
            }
        }
        return top;
    }

    private static boolean better(float a, float b) {
        if (Float.isNaN(a)) {
            return false;
        }
        return Float.isNaN(b) || a > b;
    }
}
