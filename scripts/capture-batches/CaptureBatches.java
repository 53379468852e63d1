import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.CompressionType;
import org.apache.kafka.common.record.ControlRecordType;
import org.apache.kafka.common.record.EndTransactionMarker;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.MemoryRecordsBuilder;
import org.apache.kafka.common.record.Record;
import org.apache.kafka.common.record.RecordBatch;
import org.apache.kafka.common.record.TimestampType;

/**
 * Golden record batches from the Java client's own MemoryRecordsBuilder (the code KafkaProducer uses), and a
 * reader that checks batches Tributary wrote with the Java client's MemoryRecords.
 *
 *   capture OUT_DIR      writes java-*.bin and java-manifest.json (what the Java client decodes from each file)
 *   verify FILE...       validates every batch of every file (CRC, sizes) and prints the decoded records as JSON
 */
public final class CaptureBatches {
    private static final String PRODUCER = "org.apache.kafka:kafka-clients:3.9.0 MemoryRecordsBuilder";
    private static final long BASE_TIMESTAMP = 1_700_000_000_000L;
    private static final long LOG_APPEND_TIME = 1_700_000_099_999L;

    private CaptureBatches() {}

    public static void main(String[] args) throws IOException {
        if (args.length >= 2 && args[0].equals("capture")) {
            capture(Paths.get(args[1]));
        } else if (args.length >= 2 && args[0].equals("verify")) {
            StringBuilder json = new StringBuilder("[");
            for (int i = 1; i < args.length; i++) {
                if (i > 1) json.append(",\n");
                Path file = Paths.get(args[i]);
                json.append(describe(file.getFileName().toString(), null, -1, "", Files.readAllBytes(file)));
            }
            System.out.println(json.append("]"));
        } else {
            System.err.println("usage: CaptureBatches capture OUT_DIR | verify FILE...");
            System.exit(2);
        }
    }

    /** The sample records: null key, null value (tombstone), headers with a null value, an empty value. */
    private static byte[] key(int i) {
        return i == 2 ? null : ("key-" + i).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] value(int i, int size) {
        if (i == 3) return null;
        if (i == 4) return new byte[0];
        StringBuilder text = new StringBuilder();
        long state = 12345 + i;
        while (text.length() < size) {
            state = (state * 1103515245L + 12345L) & 0xffffffffL;
            // Words from a small vocabulary: compressible, but not trivially.
            text.append("value-").append(i).append('-').append(state % 97).append(' ');
        }
        return text.substring(0, size).getBytes(StandardCharsets.UTF_8);
    }

    private static Header[] headers(int i) {
        if (i == 1) {
            return new Header[] {
                new RecordHeader("trace", "abc".getBytes(StandardCharsets.UTF_8)),
                new RecordHeader("empty", null)
            };
        }
        if (i == 4) return new Header[] {new RecordHeader("k", new byte[0])};
        return new Header[0];
    }

    private static final class Spec {
        final String name;
        final byte magic;
        final CompressionType codec;
        final TimestampType timestampType;
        final int records;
        final int valueSize;
        final boolean transactional;

        Spec(String name, byte magic, CompressionType codec, TimestampType timestampType, int records, int valueSize,
             boolean transactional) {
            this.name = name;
            this.magic = magic;
            this.codec = codec;
            this.timestampType = timestampType;
            this.records = records;
            this.valueSize = valueSize;
            this.transactional = transactional;
        }
    }

    private static byte[] build(Spec spec) {
        ByteBuffer buffer = ByteBuffer.allocate(4 << 20);
        long producerId = spec.transactional ? 4242L : RecordBatch.NO_PRODUCER_ID;
        short producerEpoch = spec.transactional ? (short) 3 : RecordBatch.NO_PRODUCER_EPOCH;
        int baseSequence = spec.transactional ? 17 : RecordBatch.NO_SEQUENCE;
        int leaderEpoch = spec.magic >= 2 ? 5 : RecordBatch.NO_PARTITION_LEADER_EPOCH;
        long logAppendTime = spec.timestampType == TimestampType.LOG_APPEND_TIME ? LOG_APPEND_TIME : RecordBatch.NO_TIMESTAMP;
        MemoryRecordsBuilder builder = MemoryRecords.builder(buffer, spec.magic, Compression.of(spec.codec).build(),
            spec.timestampType, 100L, logAppendTime, producerId, producerEpoch, baseSequence, spec.transactional,
            false, leaderEpoch);
        for (int i = 0; i < spec.records; i++) {
            Header[] headers = spec.magic >= 2 ? headers(i) : new Header[0];
            builder.append(BASE_TIMESTAMP + 7L * i, key(i), value(i, spec.valueSize), headers);
        }
        return toArray(builder.build().buffer());
    }

    private static byte[] toArray(ByteBuffer buffer) {
        ByteBuffer view = buffer.duplicate();
        byte[] bytes = new byte[view.remaining()];
        view.get(bytes);
        return bytes;
    }

    private static void capture(Path outDir) throws IOException {
        Files.createDirectories(outDir);
        List<Spec> specs = new ArrayList<>();
        CompressionType[] v2Codecs = {CompressionType.NONE, CompressionType.GZIP, CompressionType.SNAPPY,
            CompressionType.LZ4, CompressionType.ZSTD};
        for (CompressionType codec : v2Codecs) {
            specs.add(new Spec("java-v2-" + codec.name, RecordBatch.MAGIC_VALUE_V2, codec, TimestampType.CREATE_TIME, 6, 120, false));
        }
        // Larger than one snappy-java block (32 KiB) and one Kafka LZ4 block (64 KiB).
        for (CompressionType codec : v2Codecs) {
            if (codec != CompressionType.NONE) {
                specs.add(new Spec("java-v2-" + codec.name + "-large", RecordBatch.MAGIC_VALUE_V2, codec, TimestampType.CREATE_TIME, 60, 2000, false));
            }
        }
        specs.add(new Spec("java-v2-txn-zstd", RecordBatch.MAGIC_VALUE_V2, CompressionType.ZSTD, TimestampType.CREATE_TIME, 6, 120, true));
        specs.add(new Spec("java-v2-logappend-gzip", RecordBatch.MAGIC_VALUE_V2, CompressionType.GZIP, TimestampType.LOG_APPEND_TIME, 6, 120, false));
        CompressionType[] legacyCodecs = {CompressionType.NONE, CompressionType.GZIP, CompressionType.SNAPPY, CompressionType.LZ4};
        for (byte magic : new byte[] {RecordBatch.MAGIC_VALUE_V0, RecordBatch.MAGIC_VALUE_V1}) {
            for (CompressionType codec : legacyCodecs) {
                specs.add(new Spec("java-v" + magic + "-" + codec.name, magic, codec, TimestampType.CREATE_TIME, 6, 120, false));
            }
        }
        specs.add(new Spec("java-v1-logappend-snappy", RecordBatch.MAGIC_VALUE_V1, CompressionType.SNAPPY, TimestampType.LOG_APPEND_TIME, 6, 120, false));

        StringBuilder manifest = new StringBuilder("[\n");
        for (Spec spec : specs) {
            byte[] bytes = build(spec);
            String file = spec.name.toLowerCase() + ".bin";
            Files.write(outDir.resolve(file), bytes);
            manifest.append(describe(file, PRODUCER, spec.magic, spec.codec.name, bytes)).append(",\n");
        }
        for (ControlRecordType type : new ControlRecordType[] {ControlRecordType.COMMIT, ControlRecordType.ABORT}) {
            MemoryRecords marker = MemoryRecords.withEndTransactionMarker(200L, 1_700_000_100_000L, 5, 4242L, (short) 3,
                new EndTransactionMarker(type, 9));
            byte[] bytes = toArray(marker.buffer());
            String file = "java-v2-control-" + type.name().toLowerCase() + ".bin";
            Files.write(outDir.resolve(file), bytes);
            manifest.append(describe(file, "org.apache.kafka:kafka-clients:3.9.0 MemoryRecords.withEndTransactionMarker", 2, "NONE", bytes));
            manifest.append(type == ControlRecordType.ABORT ? "\n" : ",\n");
        }
        Files.write(outDir.resolve("java-manifest.json"), manifest.append("]\n").toString().getBytes(StandardCharsets.UTF_8));
    }

    /** What the Java client reads from `bytes`, after checking every batch (ensureValid: CRC and sizes). */
    private static String describe(String file, String producer, int magic, String codec, byte[] bytes) {
        StringBuilder json = new StringBuilder("{\"file\":\"").append(file).append('"');
        if (producer != null) {
            json.append(",\"producer\":\"").append(producer).append("\",\"magic\":").append(magic)
                .append(",\"codec\":\"").append(codec.toLowerCase()).append('"');
        }
        json.append(",\"batches\":[");
        boolean firstBatch = true;
        for (RecordBatch batch : MemoryRecords.readableRecords(ByteBuffer.wrap(bytes)).batches()) {
            batch.ensureValid();
            if (!firstBatch) json.append(',');
            firstBatch = false;
            json.append("{\"magic\":").append(batch.magic())
                .append(",\"compression\":\"").append(batch.compressionType().name.toLowerCase()).append('"')
                .append(",\"timestampType\":\"").append(batch.timestampType()).append('"')
                .append(",\"baseOffset\":\"").append(batch.baseOffset()).append('"')
                .append(",\"lastOffset\":\"").append(batch.lastOffset()).append('"')
                .append(",\"maxTimestamp\":\"").append(batch.maxTimestamp()).append('"')
                .append(",\"partitionLeaderEpoch\":").append(batch.partitionLeaderEpoch())
                .append(",\"producerId\":\"").append(batch.producerId()).append('"')
                .append(",\"producerEpoch\":").append(batch.producerEpoch())
                .append(",\"baseSequence\":").append(batch.baseSequence())
                .append(",\"isTransactional\":").append(batch.isTransactional())
                .append(",\"isControl\":").append(batch.isControlBatch())
                .append(",\"records\":[");
            boolean firstRecord = true;
            for (Record record : batch) {
                record.ensureValid();
                if (!firstRecord) json.append(',');
                firstRecord = false;
                json.append("{\"offset\":\"").append(record.offset()).append('"')
                    .append(",\"timestamp\":\"").append(record.timestamp()).append('"')
                    .append(",\"key\":").append(hex(record.key()))
                    .append(",\"value\":").append(hex(record.value()))
                    .append(",\"headers\":[");
                Header[] headers = record.headers();
                for (int h = 0; h < headers.length; h++) {
                    if (h > 0) json.append(',');
                    json.append("{\"key\":\"").append(headers[h].key()).append("\",\"value\":")
                        .append(hex(headers[h].value() == null ? null : ByteBuffer.wrap(headers[h].value()))).append('}');
                }
                json.append("]}");
            }
            json.append("]}");
        }
        return json.append("]}").toString();
    }

    /** Bytes as JSON: null, hex of up to 256 bytes, or "sha256:" and the digest for longer ones. */
    private static String hex(ByteBuffer buffer) {
        if (buffer == null) return "null";
        ByteBuffer view = buffer.duplicate();
        byte[] bytes = new byte[view.remaining()];
        view.get(bytes);
        StringBuilder text = new StringBuilder("\"");
        if (bytes.length > 256) {
            try {
                bytes = MessageDigest.getInstance("SHA-256").digest(bytes);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
            text.append("sha256:");
        }
        for (byte b : bytes) text.append(String.format("%02x", b & 0xff));
        return text.append('"').toString();
    }
}
