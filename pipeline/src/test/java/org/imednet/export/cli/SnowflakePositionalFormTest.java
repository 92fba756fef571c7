package org.imednet.export.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.imednet.export.api.Secret;
import org.imednet.export.sinks.snowflake.SnowflakeSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Python SDK's {@code snowflake STUDY ACCOUNT USER PASSWORD DATABASE SCHEMA WAREHOUSE STAGE
 * TABLE} form: refused with one line naming the equivalent flags, before anything connects; its
 * values are never taken as study keys and its password is never repeated.
 */
class SnowflakePositionalFormTest {
  private static final String PASSWORD = "s3cr3t-positional-pw";

  @TempDir Path tmp;

  @Test
  void theSdkPositionalFormIsRefusedWithTheEquivalentFlags() {
    CliFixture.Run r =
        CliFixture.run(
            "export",
            "snowflake",
            "CARDIO01",
            "myorg-acct",
            "loader",
            PASSWORD,
            "IMEDNET_DB",
            "PUBLIC",
            "COMPUTE_WH",
            "MY_STAGE",
            "STUDY_RECORDS");
    assertEquals(2, r.exitCode, r.toString());
    assertEquals(
        List.of(
            "error: these 9 arguments are the SDK's positional form: `export snowflake STUDY"
                + " ACCOUNT USER PASSWORD DATABASE SCHEMA WAREHOUSE STAGE TABLE` is not supported"
                + " (a password is never an argument; STUDY arguments are only study keys). Use the"
                + " flags, with the password from SNOWFLAKE_PASSWORD or --password-file:"
                + " SNOWFLAKE_PASSWORD=... imednet export snowflake CARDIO01 --account myorg-acct"
                + " --user loader --database IMEDNET_DB --schema PUBLIC --warehouse COMPUTE_WH"
                + " --stage MY_STAGE --table STUDY_RECORDS"),
        r.err.lines().toList());
    assertEquals("", r.out);
  }

  @Test
  void aStudyArgumentEqualToThePasswordIsRefusedWithoutRepeatingIt() throws Exception {
    Path env = tmp.resolve("sf.env");
    Files.writeString(
        env,
        "SNOWFLAKE_ACCOUNT=myorg-acct\nSNOWFLAKE_USER=loader\nSNOWFLAKE_PASSWORD="
            + PASSWORD
            + "\n");
    CliFixture.Run r =
        CliFixture.run("export", "snowflake", "CARDIO01", PASSWORD, "--env-file", env.toString());
    assertEquals(2, r.exitCode, r.toString());
    assertEquals(1, r.err.lines().count(), r.toString());
    assertEquals(
        "error: a STUDY argument is the Snowflake password: `export snowflake STUDY ACCOUNT USER",
        r.err.substring(0, r.err.indexOf(" PASSWORD DATABASE")));
    assertFalse(r.all().contains(PASSWORD), r.toString());
  }

  @Test
  void aBlankStudyArgumentIsRefused() {
    CliFixture.Run r = CliFixture.run("export", "snowflake", "CARDIO01", "");
    assertEquals(2, r.exitCode, r.toString());
    assertEquals(
        "error: a STUDY argument is blank (an unset \"$SNOWFLAKE_PASSWORD\"?)",
        r.err.substring(0, r.err.indexOf(':', r.err.indexOf('?'))));
  }

  @Test
  void nineStudyKeysWithTheConnectionConfiguredAreStudyKeys() {
    SnowflakeSettings configured =
        SnowflakeSettings.builder()
            .account("myorg-acct")
            .user("loader")
            .password(Secret.of(PASSWORD))
            .build();
    List<String> nine = List.of("S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "S9");
    assertNull(ExportSnowflakeCommand.sdkPositionalFormRefusal(nine, configured));
    assertNull(ExportSnowflakeCommand.sdkPositionalFormRefusal(List.of("CARDIO01"), configured));
    // ...but not when the second and third are the configured account and user.
    List<String> sdk = List.of("S1", "MYORG-ACCT", "loader", "pw", "DB", "SCH", "WH", "STG", "T");
    assertEquals(
        "these 9 arguments are the SDK's positional form",
        ExportSnowflakeCommand.sdkPositionalFormRefusal(sdk, configured).split(":")[0]);
  }
}
