package io.bpf4j.bcc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;

/** What tells one kernel build from another: its release and the GNU build id among its ELF notes. */
final class KernelBuild {
    private static final int NT_GNU_BUILD_ID = 3;

    private KernelBuild() {}

    /** {@code release + "\n" + build id in hex} of the running kernel; what cannot be read is left empty. */
    static byte[] identity() {
        String release;
        try {
            release = Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
        } catch (IOException e) {
            release = "";
        }
        String id;
        try {
            id = buildId(Files.readAllBytes(Path.of("/sys/kernel/notes")));
        } catch (IOException e) {
            id = "";
        }
        return (release + "\n" + id).getBytes(StandardCharsets.UTF_8);
    }

    /** The GNU build id in ELF notes (namesz, descsz, type, name and desc each padded to 4 bytes), or "" when none. */
    static String buildId(byte[] notes) {
        ByteBuffer b = ByteBuffer.wrap(notes).order(ByteOrder.nativeOrder());
        while (b.remaining() >= 12) {
            int nameSize = b.getInt();
            int descSize = b.getInt();
            int type = b.getInt();
            int namePadded = (nameSize + 3) & ~3;
            int descPadded = (descSize + 3) & ~3;
            if (nameSize < 0 || descSize < 0 || namePadded + descPadded > b.remaining()) {
                return "";
            }
            byte[] name = new byte[nameSize];
            b.get(name);
            b.position(b.position() + namePadded - nameSize);
            byte[] desc = new byte[descSize];
            b.get(desc);
            b.position(b.position() + descPadded - descSize);
            if (type == NT_GNU_BUILD_ID && new String(name, StandardCharsets.US_ASCII).equals("GNU\0")) {
                return HexFormat.of().formatHex(desc);
            }
        }
        return "";
    }
}
