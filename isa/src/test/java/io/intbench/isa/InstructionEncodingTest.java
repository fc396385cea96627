package io.intbench.isa;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class InstructionEncodingTest {

    @Provide
    Arbitrary<Instruction> legal() {
        return Arbitraries.of(Opcode.values()).flatMap(op -> {
            Arbitrary<Integer> deps = Arbitraries.integers().between(0, 15).filter(d -> {
                Unit.Queue q = op.unit().queue();
                return !(q == Unit.Queue.LOAD && (d & 5) != 0) && !(q == Unit.Queue.STORE && (d & 10) != 0);
            });
            Arbitrary<Integer> desc = op.usesDescriptor() ? Arbitraries.integers().between(0, Encoding.NO_DESC - 1)
                    : Arbitraries.just(Encoding.NO_DESC);
            Arbitrary<Integer> any = Arbitraries.integers();
            return Combinators.combine(deps, desc, any, any, any).as((d, x, a, b, c) -> new Instruction(op, d, x,
                    op.operandName(0).isEmpty() ? 0 : a, op.operandName(1).isEmpty() ? 0 : b, op.operandName(2).isEmpty() ? 0 : c));
        });
    }

    @Property(tries = 5000)
    void encodeDecodeEncodeRoundTrips(@ForAll("legal") Instruction i) {
        long[] w = i.encode();
        Instruction back = Instruction.decode(w[0], w[1]);
        assertEquals(i, back);
        assertArrayEquals(w, back.encode());
    }

    @Property(tries = 2000)
    void wordsWithUnknownOpcodesAreRejected(@ForAll long lo, @ForAll long hi) {
        int code = (int) (lo & 0xFF);
        if (Opcode.fromCode(code) == null) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Instruction.decode(lo, hi));
            assertTrue(e.getMessage().contains("unknown opcode"), e.getMessage());
        }
    }

    @Test
    void illegalFieldsAreRejectedWithTheirName() {
        assertThrows(IllegalArgumentException.class, () -> Instruction.of(Opcode.LOAD, Instruction.POP_PREV, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> Instruction.of(Opcode.STORE, Instruction.PUSH_NEXT, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> Instruction.of(Opcode.CONV, 0, 0, 0, 0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Instruction.of(Opcode.NOP, 0, 5, 0, 0));
        assertTrue(e.getMessage().contains("operand a"), e.getMessage());
        long[] w = Instruction.of(Opcode.NOP, 0, 0, 0, 0).encode();
        w[0] |= 1L << Encoding.RESERVED.offset;
        long[] bad = w;
        assertThrows(IllegalArgumentException.class, () -> Instruction.decode(bad[0], bad[1]));
    }

    @Test
    void fieldsAreWhereTheLayoutSays() {
        Instruction i = Instruction.withDesc(Opcode.CONV, Instruction.POP_PREV | Instruction.PUSH_NEXT, 7, 0x100, 0x200, 0x300);
        long[] w = i.encode();
        assertEquals(0x10, w[0] & 0xFF);
        assertEquals(9, (w[0] >>> 8) & 0xF);
        assertEquals(7, (w[0] >>> 16) & 0xFFFF);
        assertEquals(0x100, w[0] >>> 32);
        assertEquals(0x200, w[1] & 0xFFFFFFFFL);
        assertEquals(0x300, w[1] >>> 32);
    }
}
