// Serializes jute values with the Java jute classes, for rzk's golden tests.
//
// Usage: java JuteGolden encode [file]    reads lines "name<TAB>value-text"
//            prints   "name<TAB>value-text<TAB>hex" per line
//        java JuteGolden strings [file]   reads lines of hex bytes
//            prints the UTF-16 code units (4 hex digits each) that Java's
//            ustring reader decodes each line to
//        java JuteGolden records <jute jar>
//            prints the name of every jute record class in the jar
//
// Input comes from the file if one is given, else from standard input.
// The value text format is described in jute/src/value.rs.
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.InputStreamReader;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.apache.jute.BinaryInputArchive;
import org.apache.jute.BinaryOutputArchive;
import org.apache.jute.Record;

public class JuteGolden {
    private final String[] tokens;
    private int pos;

    private JuteGolden(String text) {
        this.tokens = text.trim().split("\\s+");
    }

    private String next() {
        if (pos >= tokens.length) {
            throw new IllegalArgumentException("value text ended early");
        }
        return tokens[pos++];
    }

    private static byte[] unhex(String s) {
        byte[] out = new byte[s.length() / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        }
        return out;
    }

    private static String hex(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (byte b : bytes) {
            sb.append(String.format("%02x", b & 0xff));
        }
        return sb.toString();
    }

    private static String capitalize(String name) {
        return Character.toUpperCase(name.charAt(0)) + name.substring(1);
    }

    /** Parses the next value, converting it to the given Java type. */
    private Object parse(Type type) throws Exception {
        String token = next();
        if (token.equals("[")) {
            Type element = ((ParameterizedType) type).getActualTypeArguments()[0];
            List<Object> list = new ArrayList<>();
            while (!tokens[pos].equals("]")) {
                list.add(parse(element));
            }
            pos++;
            return list;
        }
        if (token.equals("{")) {
            Class<?> cls = (Class<?>) type;
            Object record = cls.getDeclaredConstructor().newInstance();
            while (true) {
                String field = next();
                if (field.equals("}")) {
                    return record;
                }
                Method setter = null;
                for (Method m : cls.getMethods()) {
                    if (m.getName().equals("set" + capitalize(field)) && m.getParameterCount() == 1) {
                        setter = m;
                    }
                }
                if (setter == null) {
                    throw new IllegalArgumentException(cls.getName() + " has no field " + field);
                }
                setter.invoke(record, parse(setter.getGenericParameterTypes()[0]));
            }
        }
        if (token.equals("s:null") || token.equals("x:null") || token.equals("v:null")) {
            return null;
        }
        String body = token.substring(2);
        switch (token.charAt(0)) {
            case 'y': return Byte.parseByte(body);
            case 'z': return body.equals("1");
            case 'i': return Integer.parseInt(body);
            case 'l': return Long.parseLong(body);
            case 'f': return Float.intBitsToFloat((int) Long.parseLong(body, 16));
            case 'd': return Double.longBitsToDouble(Long.parseUnsignedLong(body, 16));
            case 's': return new String(unhex(body), StandardCharsets.UTF_8);
            case 'x': return unhex(body);
            default: throw new IllegalArgumentException("bad token " + token);
        }
    }

    private static void encode(BufferedReader in) throws Exception {
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isEmpty()) {
                continue;
            }
            String[] parts = line.split("\t");
            Class<?> cls = Class.forName(parts[0]);
            JuteGolden parser = new JuteGolden(parts[1]);
            Record record = (Record) parser.parse(cls);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            record.serialize(BinaryOutputArchive.getArchive(bytes), "record");
            System.out.println(parts[0] + "\t" + parts[1] + "\t" + hex(bytes.toByteArray()));
        }
    }

    private static void strings(BufferedReader in) throws Exception {
        String line;
        while ((line = in.readLine()) != null) {
            byte[] raw = unhex(line.trim());
            ByteArrayOutputStream framed = new ByteArrayOutputStream();
            new java.io.DataOutputStream(framed).writeInt(raw.length);
            framed.write(raw);
            BinaryInputArchive archive = BinaryInputArchive.getArchive(
                new ByteArrayInputStream(framed.toByteArray()));
            String decoded = archive.readString("s");
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < decoded.length(); i++) {
                sb.append(String.format("%04x", (int) decoded.charAt(i)));
            }
            System.out.println(sb);
        }
    }

    private static void records(String jar) throws Exception {
        TreeSet<String> names = new TreeSet<>();
        try (JarFile file = new JarFile(jar)) {
            Enumeration<JarEntry> entries = file.entries();
            while (entries.hasMoreElements()) {
                String name = entries.nextElement().getName();
                if (!name.endsWith(".class") || name.contains("$")) {
                    continue;
                }
                String className = name.substring(0, name.length() - 6).replace('/', '.');
                if (className.startsWith("org.apache.jute.")) {
                    continue;
                }
                Class<?> cls = Class.forName(className, false, JuteGolden.class.getClassLoader());
                if (Record.class.isAssignableFrom(cls) && !cls.isInterface()) {
                    names.add(className);
                }
            }
        }
        for (String name : names) {
            System.out.println(name);
        }
    }

    public static void main(String[] args) throws Exception {
        java.io.InputStream source = args.length > 1 && !args[0].equals("records")
            ? new java.io.FileInputStream(args[1]) : System.in;
        BufferedReader in = new BufferedReader(new InputStreamReader(source, StandardCharsets.UTF_8));
        switch (args[0]) {
            case "encode": encode(in); break;
            case "strings": strings(in); break;
            case "records": records(args[1]); break;
            default: throw new IllegalArgumentException("unknown mode " + args[0]);
        }
    }
}
