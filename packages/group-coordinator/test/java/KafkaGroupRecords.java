// Encodes __consumer_offsets keys and values with Kafka's own generated classes and MessageUtil, exactly as
// Kafka 3.9's GroupMetadataManager does, so a test can compare our bytes with Kafka's byte for byte.
//
//   java -cp <kafka jars>:<classes> KafkaGroupRecords <records.json>
//
// records.json is an array of {"type": "OffsetCommitKey" | "OffsetCommitValue" | "GroupMetadataKey" |
// "GroupMetadataValue", "version": n, "data": <the struct in Kafka's JSON converter format>}; for each the
// program prints one line: the version-prefixed bytes in hex.
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import org.apache.kafka.common.protocol.Message;
import org.apache.kafka.common.protocol.MessageUtil;
import org.apache.kafka.coordinator.group.generated.GroupMetadataKeyJsonConverter;
import org.apache.kafka.coordinator.group.generated.GroupMetadataValueJsonConverter;
import org.apache.kafka.coordinator.group.generated.OffsetCommitKeyJsonConverter;
import org.apache.kafka.coordinator.group.generated.OffsetCommitValueJsonConverter;

public class KafkaGroupRecords {
    public static void main(String[] args) throws Exception {
        JsonNode records = new ObjectMapper().readTree(new File(args[0]));
        StringBuilder out = new StringBuilder();
        for (JsonNode record : records) {
            short version = (short) record.get("version").asInt();
            JsonNode data = record.get("data");
            Message message;
            switch (record.get("type").asText()) {
                case "OffsetCommitKey": message = OffsetCommitKeyJsonConverter.read(data, version); break;
                case "OffsetCommitValue": message = OffsetCommitValueJsonConverter.read(data, version); break;
                case "GroupMetadataKey": message = GroupMetadataKeyJsonConverter.read(data, version); break;
                case "GroupMetadataValue": message = GroupMetadataValueJsonConverter.read(data, version); break;
                default: throw new IllegalArgumentException("unknown record type " + record.get("type"));
            }
            byte[] bytes = MessageUtil.toVersionPrefixedBytes(version, message);
            for (byte b : bytes) out.append(String.format("%02x", b));
            out.append('\n');
        }
        System.out.print(out);
    }
}
