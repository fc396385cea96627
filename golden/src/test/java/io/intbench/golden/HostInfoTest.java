package io.intbench.golden;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HostInfoTest {

    @Test
    void readsTheModelNameLineOfX86Cpuinfo() {
        List<String> lines = List.of("processor\t: 0", "vendor_id\t: GenuineIntel", "cpu family\t: 6",
                "model\t\t: 85", "model name\t: Intel(R) Xeon(R)   Platinum 8259CL CPU @ 2.50GHz", "flags\t\t: fpu avx2");
        assertEquals("Intel(R) Xeon(R) Platinum 8259CL CPU @ 2.50GHz", HostInfo.modelName(lines));
    }

    @Test
    void fallsBackToTheArchitectureWithoutAModelName(@TempDir Path dir) throws IOException {
        // ARM64 Linux lists "CPU implementer" etc. but no "model name".
        Path arm = dir.resolve("cpuinfo");
        Files.write(arm, List.of("processor\t: 0", "BogoMIPS\t: 50.00", "CPU implementer\t: 0x41", "CPU part\t: 0xd0c"));
        assertNull(HostInfo.modelName(Files.readAllLines(arm)));
        assertEquals(System.getProperty("os.arch"), HostInfo.cpuModel(arm));
        assertEquals(System.getProperty("os.arch"), HostInfo.cpuModel(dir.resolve("absent")));
    }

    @Test
    void describesThisHost() {
        String cpu = HostInfo.cpuModel();
        assertFalse(cpu.isBlank());
        if (Files.isReadable(Path.of("/proc/cpuinfo"))) {
            assertFalse(cpu.contains("model name") || cpu.startsWith(":"), cpu);
        }
        assertTrue(HostInfo.javaVersion().startsWith(Runtime.version().feature() + ""), HostInfo.javaVersion());
    }
}
