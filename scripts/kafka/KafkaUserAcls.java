// Applies the ACLs of Strimzi KafkaUser resources (deploy/k8s/base/kafka-users.yaml) to a broker, the way Strimzi's
// User Operator does in a cluster: for each user, each ACL's operations on its resource, for principal User:<name>.
// Run by scripts/kafka.sh with the broker's own jars on the classpath (java single-file source launch):
//   java -cp "lib/*" KafkaUserAcls.java apply <bootstrap> <admin client properties> <kafka-users.yaml>
// Existing bindings are left as they are (creating one again is a no-op), so it can run at every start.
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.File;
import java.io.FileInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

public class KafkaUserAcls {
    static List<AclBinding> bindings(File kafkaUsers) throws Exception {
        ObjectMapper mapper = new ObjectMapper(new YAMLFactory());
        List<AclBinding> bindings = new ArrayList<>();
        for (JsonNode user : mapper.readerFor(JsonNode.class).<JsonNode>readValues(kafkaUsers).readAll()) {
            if (user == null || !"KafkaUser".equals(user.path("kind").asText())) {
                continue;
            }
            String principal = "User:" + user.path("metadata").path("name").asText();
            for (JsonNode acl : user.path("spec").path("authorization").path("acls")) {
                JsonNode resource = acl.path("resource");
                ResourcePattern pattern = new ResourcePattern(
                        ResourceType.fromString(resource.path("type").asText().toUpperCase(Locale.ROOT)),
                        resource.path("name").asText(),
                        PatternType.fromString(resource.path("patternType").asText("literal").toUpperCase(Locale.ROOT)));
                for (JsonNode operation : acl.path("operations")) {
                    AclOperation parsed = AclOperation.fromString(
                            operation.asText().replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT));
                    if (parsed == AclOperation.UNKNOWN) {
                        throw new IllegalArgumentException("unknown ACL operation " + operation.asText());
                    }
                    bindings.add(new AclBinding(pattern, new AccessControlEntry(
                            principal, acl.path("host").asText("*"), parsed, AclPermissionType.ALLOW)));
                }
            }
        }
        return bindings;
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 4 || !"apply".equals(args[0])) {
            System.err.println("usage: KafkaUserAcls apply <bootstrap> <admin client properties> <kafka-users.yaml>");
            System.exit(2);
        }
        Properties config = new Properties();
        try (FileInputStream in = new FileInputStream(args[2])) {
            config.load(in);
        }
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[1]);
        List<AclBinding> bindings = bindings(new File(args[3]));
        try (Admin admin = Admin.create(config)) {
            admin.createAcls(bindings).all().get();
        }
        System.err.println("kafka: " + bindings.size() + " ACL bindings applied from " + args[3]);
    }
}
