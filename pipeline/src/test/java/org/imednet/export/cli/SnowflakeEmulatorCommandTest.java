package org.imednet.export.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.imednet.export.testdata.SampleStudies;
import org.imednet.export.testdata.emulator.FaultPlan;
import org.imednet.export.testdata.emulator.FolderStudyData;
import org.imednet.export.testdata.emulator.ImednetEmulator;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code imednet emulator snowflake}: started in-process as a user would start it, its printed
 * settings parsed and used, unchanged, by real {@code imednet export snowflake} runs.
 */
class SnowflakeEmulatorCommandTest {
  private static final String API_KEY = "sf-emu-cmd-api-key-3c1d";
  private static final String SECURITY_KEY = "sf-emu-cmd-security-key-9e0a";
  private static final Pattern EXPORT_LINE = Pattern.compile("^  export (SNOWFLAKE_[A-Z_]+)=(.*)$");
  private static final Pattern SQL_LINE = Pattern.compile("^  \\./imednet sql (\\S+) \"(.*)\"$");

  @TempDir Path tmp;

  @Test
  void printedSettingsPointTheExporterAtTheEmulator() throws Exception {
    int port = freePort();
    Path dataDir = tmp.resolve("sf-data");
    try (ImednetEmulator api =
        ImednetEmulator.builder()
            .data(FolderStudyData.load(SampleStudies.root()))
            .credentials(API_KEY, SECURITY_KEY)
            .port(0)
            .faults(FaultPlan.none())
            .build()
            .start()) {
      StartedCommand emu =
          StartedCommand.start(
              "emulator",
              "snowflake",
              "--port",
              Integer.toString(port),
              "--data-dir",
              "" + dataDir);
      String printed;
      Map<String, String> settings = new LinkedHashMap<>();
      try {
        printed = emu.awaitReady();
        for (String line : printed.split("\n")) {
          Matcher m = EXPORT_LINE.matcher(line);
          if (m.matches()) {
            settings.put(m.group(1), m.group(2));
          }
        }
        assertEquals(
            List.of(
                "SNOWFLAKE_HOST",
                "SNOWFLAKE_PORT",
                "SNOWFLAKE_PROTOCOL",
                "SNOWFLAKE_ACCOUNT",
                "SNOWFLAKE_USER",
                "SNOWFLAKE_PASSWORD",
                "SNOWFLAKE_DATABASE",
                "SNOWFLAKE_SCHEMA",
                "SNOWFLAKE_WAREHOUSE",
                "SNOWFLAKE_STAGE"),
            new ArrayList<>(settings.keySet()),
            printed);
        assertEquals("127.0.0.1", settings.get("SNOWFLAKE_HOST"));
        assertEquals(Integer.toString(port), settings.get("SNOWFLAKE_PORT"));
        assertEquals("http", settings.get("SNOWFLAKE_PROTOCOL"));
        String password = settings.get("SNOWFLAKE_PASSWORD");
        assertEquals(SnowflakeEmulatorCommand.PASSWORD, password);

        // The password is printed once, as the variable; never on a command line.
        List<String> commandLines = new ArrayList<>();
        for (String line : printed.split("\n")) {
          if (line.contains(password)) {
            assertEquals("  export SNOWFLAKE_PASSWORD=" + password, line);
          }
          if (line.strip().startsWith("./imednet ")) {
            commandLines.add(line.strip());
            assertFalse(line.contains("--password"), line);
          }
        }
        assertEquals(3, commandLines.size(), printed); // env form, flag form, inspection
        String flagForm =
            commandLines.stream().filter(l -> l.contains("--host")).findFirst().orElseThrow();

        // 1. The environment form, exactly as printed: every SNOWFLAKE_* from the env file.
        Path envForm = CliFixture.envFile(tmp, api.baseUrl(), API_KEY, SECURITY_KEY);
        StringBuilder lines = new StringBuilder(Files.readString(envForm));
        settings.forEach((k, v) -> lines.append(k).append('=').append(v).append('\n'));
        Files.writeString(envForm, lines);
        CliFixture.Run viaEnv =
            CliFixture.run(
                "export",
                "snowflake",
                "CARDIO01",
                "--env-file",
                envForm.toString(),
                "--progress",
                "none");
        assertEquals(0, viaEnv.exitCode, viaEnv.toString());

        // 2. The flag form, as printed (another study), the password from SNOWFLAKE_PASSWORD.
        Path passwordOnly = tmp.resolve("password-only");
        Files.createDirectories(passwordOnly);
        Path envFlags = CliFixture.envFile(passwordOnly, api.baseUrl(), API_KEY, SECURITY_KEY);
        Files.writeString(
            envFlags, Files.readString(envFlags) + "SNOWFLAKE_PASSWORD=" + password + "\n");
        List<String> args = new ArrayList<>(Arrays.asList(flagForm.split(" ")));
        assertEquals(List.of("./imednet", "export", "snowflake", "CARDIO01"), args.subList(0, 4));
        args.remove(0);
        args.set(2, "ONCO-22");
        args.addAll(List.of("--env-file", envFlags.toString(), "--progress", "none"));
        CliFixture.Run viaFlags = CliFixture.run(args.toArray(new String[0]));
        assertEquals(0, viaFlags.exitCode, viaFlags.toString());
        for (CliFixture.Run r : List.of(viaEnv, viaFlags)) {
          assertFalse(r.all().contains(password), r.toString());
          assertFalse(r.all().contains(API_KEY), r.toString());
        }

        // Exact row counts, read through the driver with the printed settings.
        Map<String, Long> expected = expectedTables();
        assertEquals(expected, countsViaDriver(settings, expected));

        // Only the printed user and password may log in, as in Snowflake.
        Map<String, String> wrong = new LinkedHashMap<>(settings);
        wrong.put("SNOWFLAKE_PASSWORD", "not-the-password");
        SQLException refused =
            assertThrows(SQLException.class, () -> connect(wrong).close(), "wrong password");
        assertTrue(refused.getMessage().contains("Incorrect username or password"), "" + refused);
      } finally {
        emu.stop();
      }
      assertEquals(0, emu.exitCode(), emu.err());

      // --data-dir keeps what was loaded: the printed inspection command, then exact counts.
      String inspection =
          Arrays.stream(printed.split("\n"))
              .filter(l -> l.startsWith("  ./imednet sql "))
              .findFirst()
              .orElseThrow();
      Matcher sql = SQL_LINE.matcher(inspection);
      assertTrue(sql.matches(), inspection);
      Path file = Path.of(sql.group(1));
      assertEquals(dataDir.resolve("databases").resolve("IMEDNET_DB.duckdb"), file);
      CliFixture.Run inspect = CliFixture.run("sql", file.toString(), sql.group(2));
      assertEquals(0, inspect.exitCode, inspect.toString());
      assertTrue(inspect.out.contains("CARDIO01_DM"), inspect.out);
      assertTrue(inspect.out.contains("ONCO_22_"), inspect.out);
      Map<String, Long> expected = expectedTables();
      Map<String, Long> inFile = new TreeMap<>();
      for (String t : expected.keySet()) {
        List<List<Object>> r =
            CliFixture.query(file, "SELECT count(*) FROM \"PUBLIC\".\"" + t + "\"");
        inFile.put(t, ((Number) r.get(0).get(0)).longValue());
      }
      assertEquals(expected, inFile);

      // Started again on the same --data-dir, the emulator serves what it kept.
      StartedCommand again =
          StartedCommand.start("emulator", "snowflake", "--port", "0", "--data-dir", "" + dataDir);
      try {
        Map<String, String> s2 = new LinkedHashMap<>();
        for (String line : again.awaitReady().split("\n")) {
          Matcher m = EXPORT_LINE.matcher(line);
          if (m.matches()) {
            s2.put(m.group(1), m.group(2));
          }
        }
        assertFalse(s2.get("SNOWFLAKE_PORT").equals("0"));
        assertEquals(expected, countsViaDriver(s2, expected));
      } finally {
        again.stop();
      }
      assertEquals(0, again.exitCode(), again.err());
    }
  }

  @Test
  void externalStagesReadTheBucketsOfTheS3Endpoint() throws Exception {
    BlobStoreContext store =
        ContextBuilder.newBuilder("transient-nio2")
            .credentials("identity", "credential")
            .build(BlobStoreContext.class);
    S3Proxy proxy =
        S3Proxy.builder()
            .blobStore(store.getBlobStore())
            .endpoint(URI.create("http://127.0.0.1:0"))
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, "cmd-access", "cmd-secret-5d1e")
            .build();
    proxy.start();
    try {
      store.getBlobStore().createContainerInLocation(null, "landing");
      store
          .getBlobStore()
          .putBlob(
              "landing",
              store.getBlobStore().blobBuilder("stage/x.parquet").payload(new byte[] {1}).build());
      StartedCommand emu =
          StartedCommand.start(
              "emulator",
              "snowflake",
              "--port",
              "0",
              "--s3-endpoint",
              "http://127.0.0.1:" + proxy.getPort(),
              "--s3-path-style",
              "--external-stage",
              "LANDING=s3://landing/stage/");
      // The stage created with --external-stage stands for a storage integration: the emulator
      // signs with this process's AWS credentials.
      System.setProperty("aws.accessKeyId", "cmd-access");
      System.setProperty("aws.secretAccessKey", "cmd-secret-5d1e");
      try {
        String ready = emu.awaitReady();
        assertTrue(
            ready.contains(
                "External stage LANDING reads s3://landing/stage/; load through it with --stage"
                    + " @LANDING --stage-url s3://landing/stage/"),
            ready);
        Map<String, String> settings = new LinkedHashMap<>();
        for (String line : ready.split("\n")) {
          Matcher m = EXPORT_LINE.matcher(line);
          if (m.matches()) {
            settings.put(m.group(1), m.group(2));
          }
        }
        try (Connection c = connect(settings);
            Statement st = c.createStatement()) {
          st.execute(
              "CREATE STAGE IMEDNET_DB.PUBLIC.EXT URL = 's3://landing/stage/'"
                  + " CREDENTIALS = (AWS_KEY_ID = 'cmd-access' AWS_SECRET_KEY = 'cmd-secret-5d1e')");
          try (ResultSet rs = st.executeQuery("LIST @IMEDNET_DB.PUBLIC.EXT")) {
            assertTrue(rs.next());
            assertEquals("s3://landing/stage/x.parquet", rs.getString(1));
            assertEquals(1L, rs.getLong(2));
            assertFalse(rs.next());
          }
          try (ResultSet rs = st.executeQuery("LIST @IMEDNET_DB.PUBLIC.LANDING")) {
            assertTrue(rs.next());
            assertEquals("s3://landing/stage/x.parquet", rs.getString(1));
            assertFalse(rs.next());
          }
        }
      } finally {
        System.clearProperty("aws.accessKeyId");
        System.clearProperty("aws.secretAccessKey");
        emu.stop();
      }
      assertEquals(0, emu.exitCode(), emu.err());
    } finally {
      proxy.stop();
      store.close();
    }
  }

  @Test
  void withoutDataDirTheTemporaryFolderIsRemovedOnStop() throws Exception {
    StartedCommand emu = StartedCommand.start("emulator", "snowflake", "--port", "0");
    String printed;
    try {
      printed = emu.awaitReady();
    } finally {
      emu.stop();
    }
    assertEquals(0, emu.exitCode(), emu.err());
    Matcher m = Pattern.compile("backed by DuckDB in (\\S+) \\(removed on exit").matcher(printed);
    assertTrue(m.find(), printed);
    assertFalse(Files.exists(Path.of(m.group(1))), m.group(1));
    assertFalse(printed.contains("./imednet sql"), printed); // nothing is left to inspect
  }

  @Test
  void aPortInUseIsAOneLineError() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CliFixture.Run r =
          CliFixture.run("emulator", "snowflake", "--port", Integer.toString(taken.getLocalPort()));
      assertEquals(1, r.exitCode, r.toString());
      assertTrue(
          r.err.contains(
              "error: port "
                  + taken.getLocalPort()
                  + " of 127.0.0.1 is in use; choose another with --port N (0 picks a free one)"),
          r.toString());
    }
  }

  @Test
  void helpOfTheEmulatorCommands() {
    CliFixture.Run sf = CliFixture.run("emulator", "snowflake", "--help");
    assertEquals(0, sf.exitCode, sf.toString());
    for (String s :
        List.of(
            "--port=N",
            "--data-dir=DIR",
            "--user=USER",
            "SNOWFLAKE_PASSWORD",
            "--s3-endpoint=URL",
            "--s3-path-style",
            "--s3-region=REGION")) {
      assertTrue(sf.out.contains(s), s + " in\n" + sf.out);
    }
    CliFixture.Run parent = CliFixture.run("emulator", "--help");
    assertEquals(0, parent.exitCode, parent.toString());
    for (String s : List.of("--data=DIR", "--port=N", "--rps=R", "imednet", "snowflake")) {
      assertTrue(parent.out.contains(s), s + " in\n" + parent.out);
    }
    CliFixture.Run alias = CliFixture.run("emulator", "imednet", "--help");
    assertEquals(0, alias.exitCode, alias.toString());
    assertTrue(alias.out.contains("--data=DIR"), alias.out);
  }

  @Test
  void theImednetEmulatorCommandLineIsUnchanged() {
    CommandLine.ParseResult plain =
        ImednetCli.newCommandLine()
            .parseArgs("emulator", "--data", "some/dir", "--port", "9123", "--rps", "7");
    EmulatorCommand cmd =
        assertInstanceOf(EmulatorCommand.class, plain.subcommand().commandSpec().userObject());
    assertFalse(plain.subcommand().hasSubcommand());
    assertEquals(Path.of("some/dir"), cmd.options.data);
    assertEquals(9123, cmd.options.port);
    assertEquals(7, cmd.options.rps);
    assertEquals(8089, parsePort("emulator"));

    CommandLine.ParseResult alias =
        ImednetCli.newCommandLine().parseArgs("emulator", "imednet", "--port", "9124");
    EmulatorCommand.Imednet explicit =
        assertInstanceOf(
            EmulatorCommand.Imednet.class,
            alias.subcommand().subcommand().commandSpec().userObject());
    assertEquals(9124, explicit.options.port);
    assertNotNull(explicit.options);
  }

  private static int parsePort(String... args) {
    CommandLine.ParseResult r = ImednetCli.newCommandLine().parseArgs(args);
    return ((EmulatorCommand) r.subcommand().commandSpec().userObject()).options.port;
  }

  /** {@code <STUDY>_<FORMKEY>} → records, for the two sample studies. */
  private static Map<String, Long> expectedTables() throws Exception {
    Map<String, Long> expected = new TreeMap<>();
    CliFixture.sampleRecordsPerForm("CARDIO01")
        .forEach((f, n) -> expected.put("CARDIO01_" + f.replace(' ', '_'), n));
    CliFixture.sampleRecordsPerForm("ONCO-22").forEach((f, n) -> expected.put("ONCO_22_" + f, n));
    return expected;
  }

  private static Map<String, Long> countsViaDriver(
      Map<String, String> settings, Map<String, Long> tables) throws Exception {
    Map<String, Long> out = new TreeMap<>();
    String prefix = settings.get("SNOWFLAKE_DATABASE") + "." + settings.get("SNOWFLAKE_SCHEMA");
    try (Connection c = connect(settings);
        Statement st = c.createStatement()) {
      for (String t : tables.keySet()) {
        try (ResultSet rs = st.executeQuery("SELECT count(*) FROM " + prefix + ".\"" + t + "\"")) {
          rs.next();
          out.put(t, rs.getLong(1));
        }
      }
    }
    return out;
  }

  private static Connection connect(Map<String, String> s) throws SQLException {
    Properties p = new Properties();
    p.put("user", s.get("SNOWFLAKE_USER"));
    p.put("password", s.get("SNOWFLAKE_PASSWORD"));
    p.put("warehouse", s.get("SNOWFLAKE_WAREHOUSE"));
    p.put("disablePlatformDetection", "true");
    String url =
        "jdbc:snowflake://"
            + s.get("SNOWFLAKE_HOST")
            + ":"
            + s.get("SNOWFLAKE_PORT")
            + "/?account="
            + s.get("SNOWFLAKE_ACCOUNT")
            + "&ssl=off";
    return DriverManager.getConnection(url, p);
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
