package org.imednet.export.pipeline;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import javax.annotation.Nullable;
import org.imednet.export.api.ApiConfig;
import org.imednet.export.sinks.ledger.LedgerRun;
import org.imednet.export.sinks.parquet.WriteHiveParquet;
import org.imednet.export.sinks.snowflake.LoadIntoSnowflake;

/**
 * What one export run reads and where it writes. Immutable; build with {@link #builder()}. Holds
 * the API credentials inside {@link ApiConfig} as {@code Secret}s; nothing here is ever logged
 * whole.
 */
public final class ExportSpec {
  /** Where DuckDB rows go. */
  public enum DuckDbLayout {
    SINGLE_TABLE,
    BY_FORM
  }

  private final ApiConfig api;
  private final List<String> studies;
  private final Set<String> forms;
  private final Set<String> variables;
  private final boolean useLabels;
  private final @Nullable Path lakeDir;
  private final @Nullable Path metadataDir;
  private final @Nullable String lakeUri;
  private final @Nullable String metadataUri;
  private final @Nullable Path duckDbFile;
  private final @Nullable String duckDbTable;
  private final DuckDbLayout duckDbLayout;
  private final @Nullable LoadIntoSnowflake snowflake;
  private final @Nullable Path errorsDir;
  private final @Nullable LedgerRun ledger;
  private final List<String> beamArgs;

  private ExportSpec(Builder b) {
    this.api = Objects.requireNonNull(b.api, "api config is required");
    if (b.studies.isEmpty()) {
      throw new IllegalArgumentException("at least one study key is required");
    }
    this.studies = Collections.unmodifiableList(new ArrayList<>(b.studies));
    this.forms = Collections.unmodifiableSet(new LinkedHashSet<>(b.forms));
    this.variables = Collections.unmodifiableSet(new LinkedHashSet<>(b.variables));
    this.useLabels = b.useLabels;
    this.lakeDir = b.lakeDir;
    this.metadataDir = b.metadataDir;
    this.lakeUri = b.lakeUri;
    this.metadataUri = b.metadataUri;
    this.duckDbFile = b.duckDbFile;
    this.duckDbTable = b.duckDbTable;
    this.duckDbLayout = b.duckDbLayout;
    this.snowflake = b.snowflake;
    this.errorsDir = b.errorsDir;
    this.ledger = b.ledger;
    this.beamArgs = Collections.unmodifiableList(new ArrayList<>(b.beamArgs));
    if (lakeDir == null && lakeUri == null && duckDbFile == null && snowflake == null) {
      throw new IllegalArgumentException(
          "no destination: give a lake directory, a DuckDB file or Snowflake settings");
    }
    if (duckDbFile != null && duckDbLayout == DuckDbLayout.SINGLE_TABLE && duckDbTable == null) {
      throw new IllegalArgumentException("a DuckDB table name is required unless --by-form is set");
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  public ApiConfig api() {
    return api;
  }

  public List<String> studies() {
    return studies;
  }

  /** Form keys or numeric form ids; empty = all forms. */
  public Set<String> forms() {
    return forms;
  }

  /** Variable names; empty = all variables. */
  public Set<String> variables() {
    return variables;
  }

  public boolean useLabels() {
    return useLabels;
  }

  public @Nullable Path lakeDir() {
    return lakeDir;
  }

  public @Nullable Path metadataDir() {
    return metadataDir;
  }

  /** A lake on a remote file system ({@code s3://bucket/lake}), or null; see {@link #lakeDir()}. */
  public @Nullable String lakeUri() {
    return lakeUri;
  }

  /** The metadata folder of a remote lake, or null for the default beside it. */
  public @Nullable String metadataUri() {
    return metadataUri;
  }

  /** Whether the export writes a lake, local or remote. */
  public boolean hasLake() {
    return lakeDir != null || lakeUri != null;
  }

  public @Nullable Path duckDbFile() {
    return duckDbFile;
  }

  public @Nullable String duckDbTable() {
    return duckDbTable;
  }

  public DuckDbLayout duckDbLayout() {
    return duckDbLayout;
  }

  /** The configured Snowflake load, or null. */
  public @Nullable LoadIntoSnowflake snowflake() {
    return snowflake;
  }

  public @Nullable Path errorsDir() {
    return errorsDir;
  }

  /**
   * The run as the targets' ledgers record it: its id, its start, and which studies are read from a
   * {@code dateModified} lower bound (an incremental export); null for a plain export.
   */
  public @Nullable LedgerRun ledger() {
    return ledger;
  }

  /** Beam pipeline options, e.g. {@code --runner=FlinkRunner --parallelism=2}. */
  public List<String> beamArgs() {
    return beamArgs;
  }

  /** Builder for {@link ExportSpec}. */
  public static final class Builder {
    private @Nullable ApiConfig api;
    private final List<String> studies = new ArrayList<>();
    private final Set<String> forms = new LinkedHashSet<>();
    private final Set<String> variables = new LinkedHashSet<>();
    private boolean useLabels;
    private @Nullable Path lakeDir;
    private @Nullable Path metadataDir;
    private @Nullable String lakeUri;
    private @Nullable String metadataUri;
    private @Nullable Path duckDbFile;
    private @Nullable String duckDbTable;
    private DuckDbLayout duckDbLayout = DuckDbLayout.SINGLE_TABLE;
    private @Nullable LoadIntoSnowflake snowflake;
    private @Nullable Path errorsDir;
    private @Nullable LedgerRun ledger;
    private final List<String> beamArgs = new ArrayList<>();

    public Builder api(ApiConfig api) {
      this.api = api;
      return this;
    }

    public Builder studies(List<String> keys) {
      studies.addAll(keys);
      return this;
    }

    public Builder forms(Set<String> formKeysOrIds) {
      forms.addAll(formKeysOrIds);
      return this;
    }

    public Builder variables(Set<String> names) {
      variables.addAll(names);
      return this;
    }

    public Builder useLabels(boolean useLabels) {
      this.useLabels = useLabels;
      return this;
    }

    public Builder lake(Path lakeDir) {
      this.lakeDir = lakeDir;
      return this;
    }

    public Builder metadataDir(@Nullable Path metadataDir) {
      this.metadataDir = metadataDir;
      return this;
    }

    /**
     * The lake as a local path or a remote folder such as {@code s3://bucket/lake} (any scheme
     * registered with Beam's FileSystems).
     */
    public Builder lake(String location) {
      if (WriteHiveParquet.isRemote(location)) {
        this.lakeUri = location;
        this.lakeDir = null;
      } else {
        this.lakeDir = Path.of(location);
        this.lakeUri = null;
      }
      return this;
    }

    /** {@link #metadataDir(Path)} as a local path or a remote folder; null for the default. */
    public Builder metadataDir(@Nullable String location) {
      if (location != null && WriteHiveParquet.isRemote(location)) {
        this.metadataUri = location;
        this.metadataDir = null;
      } else {
        this.metadataDir = location == null ? null : Path.of(location);
        this.metadataUri = null;
      }
      return this;
    }

    public Builder duckDb(Path file, @Nullable String table, DuckDbLayout layout) {
      this.duckDbFile = file;
      this.duckDbTable = table;
      this.duckDbLayout = layout;
      return this;
    }

    public Builder snowflake(LoadIntoSnowflake load) {
      this.snowflake = load;
      return this;
    }

    public Builder errorsDir(@Nullable Path errorsDir) {
      this.errorsDir = errorsDir;
      return this;
    }

    public Builder ledger(@Nullable LedgerRun run) {
      this.ledger = run;
      return this;
    }

    public Builder beamArgs(List<String> args) {
      beamArgs.addAll(args);
      return this;
    }

    public ExportSpec build() {
      return new ExportSpec(this);
    }
  }
}
