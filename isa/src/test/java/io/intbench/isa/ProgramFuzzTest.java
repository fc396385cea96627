package io.intbench.isa;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * Bad program files, tried on purpose (issue 7): truncations, bit flips, and field rewrites whose CRC is
 * recomputed so that the field checks behind the checksum are reached (magic, version, counts against the bytes
 * left, descriptor and instruction fields, addresses against DRAM). Every case must parse or end in an
 * {@link IntbenchException.InvalidProgram} naming the file and a byte offset, within 5 s and without allocating
 * what a count merely declares. The program is {@link ProgramFileTest#sample()}; the CLI suite fuzzes a compiled
 * LeNet the same way.
 */
class ProgramFuzzTest {
    /**
     * Fixed so that the build is reproducible; change it (or delete {@code seed = SEED}) to explore new cases. Every
     * failure jqwik reports names the case's own {@code seed} argument, which replays it alone.
     */
    static final String SEED = "20261128";
    static final Duration CASE_LIMIT = Duration.ofSeconds(5);
    static final byte[] SAMPLE = ProgramFile.toBytes(ProgramFileTest.sample());
    static final Map<String, Map<String, AtomicInteger>> COUNTS = new ConcurrentHashMap<>();

    /** Parses one case and checks the contract; returns "accepted" or "refused ...", for the summary. */
    static String check(String kind, byte[] bytes) {
        String source = kind + ".ibc";
        String outcome = assertTimeoutPreemptively(CASE_LIMIT, () -> {
            try {
                Program p = ProgramFile.parse(bytes, source);
                // what was accepted serializes to something that reads back the same
                byte[] again = ProgramFile.toBytes(p);
                assertArrayEquals(again, ProgramFile.toBytes(ProgramFile.parse(again, source)));
                return "accepted";
            } catch (IntbenchException.InvalidProgram e) {
                String msg = e.getMessage();
                assertTrue(msg != null && msg.contains(source) && msg.contains("byte offset"), () -> kind + ": " + msg);
                return "refused InvalidProgram";
            } catch (OutOfMemoryError e) {
                return fail(kind + " ran out of memory", e);
            } catch (RuntimeException | StackOverflowError e) {
                return fail(kind + " ended in an uncaught " + e, e);
            }
        }, () -> kind + " did not finish within " + CASE_LIMIT.toSeconds() + " s");
        count(COUNTS, kind, outcome);
        return outcome;
    }

    static void count(Map<String, Map<String, AtomicInteger>> counts, String kind, String outcome) {
        counts.computeIfAbsent(kind, k -> new ConcurrentHashMap<>()).computeIfAbsent(outcome, k -> new AtomicInteger())
                .incrementAndGet();
    }

    static void print(String what, Map<String, Map<String, AtomicInteger>> counts) {
        int total = 0;
        for (var e : new TreeMap<>(counts).entrySet()) {
            int n = e.getValue().values().stream().mapToInt(AtomicInteger::get).sum();
            total += n;
            System.out.println(what + " fuzz " + e.getKey() + ": " + n + " cases, " + new TreeMap<>(e.getValue()));
        }
        System.out.println(what + " fuzz total: " + total + " cases, every one accepted or refused with an IntbenchException");
    }

    @AfterContainer
    static void summary() {
        print("program", COUNTS);
    }

    /** Recomputes the trailing CRC-32 so a mutation reaches the checks behind the checksum. */
    static byte[] withCrc(byte[] b) {
        CRC32 crc = new CRC32();
        crc.update(b, 0, b.length - 4);
        ByteBuffer.wrap(b, b.length - 4, 4).putInt((int) crc.getValue());
        return b;
    }

    static final long[] WILD = {0, 1, -1, 0x7f, 0x80, 0xff, 0x7fff, 0xffff, 0x7fffffffL, 0x80000000L, 0xffffffffL,
        Long.MAX_VALUE, Long.MIN_VALUE, 1L << 40};

    /** Overwrites a 1-, 2-, 4- or 8-byte big-endian field at a random offset (before the CRC) with a wild value. */
    static byte[] rewrite(byte[] src, Random r) {
        byte[] b = src.clone();
        int width = new int[] {1, 2, 4, 8}[r.nextInt(4)];
        int body = b.length - 4;
        int at = r.nextInt(Math.max(1, body - width + 1));
        long v = r.nextInt(3) == 0 ? r.nextLong() : WILD[r.nextInt(WILD.length)];
        for (int i = 0; i < width && at + i < body; i++) {
            b[at + i] = (byte) (v >>> (8 * (width - 1 - i)));
        }
        return b;
    }

    @Property(tries = 300, seed = SEED)
    void truncated(@ForAll long seed) {
        Random r = new Random(seed);
        int cut = r.nextInt(SAMPLE.length);
        byte[] t = Arrays.copyOf(SAMPLE, cut);
        if (r.nextBoolean() && cut >= 4) {
            withCrc(t); // a truncation that carries a valid checksum for what is left
        }
        check("truncated", t);
    }

    @Property(tries = 500, seed = SEED)
    void bitFlipped(@ForAll long seed) {
        Random r = new Random(seed);
        byte[] b = SAMPLE.clone();
        for (int k = 1 + r.nextInt(4); k > 0; k--) {
            int bit = r.nextInt(b.length * 8);
            b[bit >>> 3] ^= (byte) (1 << (bit & 7));
        }
        check("bit-flipped", b);
    }

    @Property(tries = 1500, seed = SEED)
    void bitFlippedWithValidCrc(@ForAll long seed) {
        Random r = new Random(seed);
        byte[] b = SAMPLE.clone();
        for (int k = 1 + r.nextInt(3); k > 0; k--) {
            int bit = r.nextInt((b.length - 4) * 8);
            b[bit >>> 3] ^= (byte) (1 << (bit & 7));
        }
        check("bit-flipped-valid-crc", withCrc(b));
    }

    @Property(tries = 1500, seed = SEED)
    void fieldRewrittenWithValidCrc(@ForAll long seed) {
        Random r = new Random(seed);
        byte[] b = SAMPLE;
        for (int k = 1 + r.nextInt(2); k > 0; k--) {
            b = rewrite(b, r);
        }
        check("field-rewritten-valid-crc", withCrc(b));
    }

    /** Bytes spliced in or cut out, CRC fixed: every later field moves, as in a file edited by hand. */
    @Property(tries = 300, seed = SEED)
    void splicedWithValidCrc(@ForAll long seed) {
        Random r = new Random(seed);
        int at = 4 + r.nextInt(SAMPLE.length - 8);
        int n = 1 + r.nextInt(16);
        byte[] out;
        if (r.nextBoolean()) {
            out = new byte[SAMPLE.length + n];
            System.arraycopy(SAMPLE, 0, out, 0, at);
            for (int i = 0; i < n; i++) {
                out[at + i] = (byte) r.nextInt(256);
            }
            System.arraycopy(SAMPLE, at, out, at + n, SAMPLE.length - at);
        } else {
            n = Math.min(n, SAMPLE.length - 4 - at);
            out = new byte[SAMPLE.length - n];
            System.arraycopy(SAMPLE, 0, out, 0, at);
            System.arraycopy(SAMPLE, at + n, out, at, SAMPLE.length - at - n);
        }
        check("spliced-valid-crc", withCrc(out));
    }

    /**
     * Every 4-byte count and size in the file in turn declares 2^31-1 (or a negative number): the reader must
     * compare it with the bytes left instead of allocating it. Walks every 4-byte position, so every count is hit.
     */
    @Property(tries = 1, seed = SEED)
    void everyPositionDeclaringAHugeCountIsRefusedCheaply() {
        for (int at = 0; at + 4 <= SAMPLE.length - 4; at++) {
            for (int v : new int[] {Integer.MAX_VALUE, -1}) {
                byte[] b = SAMPLE.clone();
                ByteBuffer.wrap(b, at, 4).putInt(v);
                check("huge-count-valid-crc", withCrc(b));
            }
        }
    }

    /** Regression: a tensor dim of 2^40 (valid checksum) overflowed the element count into an ArithmeticException. */
    @org.junit.jupiter.api.Test
    void hugeTensorDimIsRefusedNamingTheTensor() {
        byte[] b = SAMPLE.clone();
        // tensor x_q: rank 2, shape {1, 16}, as ProgramFile writes it (rank byte, then big-endian longs)
        byte[] shape = ByteBuffer.allocate(17).put((byte) 2).putLong(1).putLong(16).array();
        int at = ProgramFileTest.indexOf(b, shape);
        assertTrue(at > 0);
        ByteBuffer.wrap(b, at + 1, 16).putLong(1L << 40).putLong(1L << 40);
        IntbenchException.InvalidProgram e = org.junit.jupiter.api.Assertions.assertThrows(IntbenchException.InvalidProgram.class,
                () -> ProgramFile.parse(withCrc(b), "huge.ibc"));
        assertTrue(e.getMessage().contains("huge.ibc") && e.getMessage().contains("tensor x_q dim 0")
                && e.getMessage().contains("byte offset"), e.getMessage());
    }

    /**
     * Regression: a descriptor whose output-channel count claims 2^28 made the simulator allocate gigabytes for
     * its bias and requant arrays; the loader now checks each constant region against DRAM.
     */
    @org.junit.jupiter.api.Test
    void descriptorConstantsBeyondDramAreRefused() {
        Program p = ProgramFileTest.sample();
        Descriptor.MatMulDesc mm = new Descriptor.MatMulDesc(1, 16, 1 << 28, 0, 0, 1, 0, 0, 0, Descriptor.REQUANT_ORT, 0, 0,
                0, 255);
        Program q = new Program(p.configName(), p.configHash(), p.requantMode(), p.modelName(), p.code(),
                java.util.List.of(p.descriptors().get(0), mm), p.dramSize(), p.image(), p.tensors(), p.layers(), p.pcLayer());
        IntbenchException.InvalidProgram e = org.junit.jupiter.api.Assertions.assertThrows(IntbenchException.InvalidProgram.class,
                () -> ProgramFile.parse(ProgramFile.toBytes(q), "mm.ibc"));
        assertTrue(e.getMessage().contains("mm.ibc") && e.getMessage().contains("descriptor 1 field wZpAddr")
                && e.getMessage().contains("outside DRAM"), e.getMessage());
    }
}
