package io.intbench.isa;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A reader of the plain JSON a hardware config is written in: one object whose values are objects
 * (nested at most {@value #MAX_DEPTH} deep), strings without escapes and integers that fit an int.
 * Anything else (escapes, fractions, exponents, big numbers, arrays, booleans, null, comments, duplicate
 * keys, trailing text, malformed text) makes it return null, and {@link HardwareConfig#parse} then reads
 * the text with Jackson, which reports what is wrong (or reads what it accepts). So this reader only
 * needs to accept a subset of what Jackson accepts and to read it as Jackson does; it exists because
 * Jackson's first use costs ~300 ms in a fresh JVM, and every command loads a config.
 */
final class PlainJson {
    /** Objects nested deeper than this are not plain (a config has two levels). */
    static final int MAX_DEPTH = 4;

    private final String s;
    private int at;

    private PlainJson(String s) {
        this.s = s;
    }

    /** The object the text holds (values: {@code Map}, {@code String}, {@code Integer}), or null if it is not plain. */
    static Map<String, Object> parse(String text) {
        PlainJson p = new PlainJson(text);
        p.space();
        Map<String, Object> m = p.object(1);
        if (m == null) {
            return null;
        }
        p.space();
        return p.at == p.s.length() ? m : null;
    }

    private void space() {
        while (at < s.length()) {
            char c = s.charAt(at);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            at++;
        }
    }

    private boolean take(char c) {
        if (at < s.length() && s.charAt(at) == c) {
            at++;
            return true;
        }
        return false;
    }

    private Map<String, Object> object(int depth) {
        if (depth > MAX_DEPTH || !take('{')) {
            return null;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        space();
        if (take('}')) {
            return m;
        }
        while (true) {
            space();
            String key = string();
            if (key == null) {
                return null;
            }
            space();
            if (!take(':')) {
                return null;
            }
            space();
            Object v = value(depth);
            if (v == null || m.put(key, v) != null) {
                return null;
            }
            space();
            if (take('}')) {
                return m;
            }
            if (!take(',')) {
                return null;
            }
        }
    }

    private Object value(int depth) {
        if (at >= s.length()) {
            return null;
        }
        char c = s.charAt(at);
        if (c == '{') {
            return object(depth + 1);
        }
        if (c == '"') {
            return string();
        }
        return integer();
    }

    /** A string without escapes or control characters. */
    private String string() {
        if (!take('"')) {
            return null;
        }
        int start = at;
        while (at < s.length()) {
            char c = s.charAt(at);
            if (c == '"') {
                return s.substring(start, at++);
            }
            if (c == '\\' || c < 0x20) {
                return null;
            }
            at++;
        }
        return null;
    }

    /** {@code -?(0|[1-9][0-9]*)} within the int range, not followed by a fraction or exponent. */
    private Integer integer() {
        int start = at;
        take('-');
        int digits = at;
        while (at < s.length() && s.charAt(at) >= '0' && s.charAt(at) <= '9') {
            at++;
        }
        int n = at - digits;
        if (n == 0 || n > 10 || (n > 1 && s.charAt(digits) == '0')) {
            return null;
        }
        if (at < s.length() && (s.charAt(at) == '.' || s.charAt(at) == 'e' || s.charAt(at) == 'E')) {
            return null;
        }
        long v = Long.parseLong(s.substring(start, at));
        return v < Integer.MIN_VALUE || v > Integer.MAX_VALUE ? null : (int) v;
    }
}
