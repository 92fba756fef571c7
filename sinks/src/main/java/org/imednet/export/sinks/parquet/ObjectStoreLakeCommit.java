package org.imednet.export.sinks.parquet;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.annotation.Nullable;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.MoveOptions.StandardMoveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.util.MimeTypes;
import org.imednet.export.read.ReadStudyMetadataTables;
import org.imednet.export.rows.TableSchema;
import org.imednet.export.sinks.ledger.LedgerRun;
import org.imednet.export.sinks.staging.RemoteFiles;
import org.imednet.export.sinks.staging.StagedFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The commit of one run of {@link WriteHiveParquet} into a lake on an object store (or any Beam
 * {@link FileSystems} scheme), which has no rename and no atomic change of several objects. Plain
 * logic over {@code FileSystems}, so it can be tested without a pipeline.
 *
 * <h2>Protocol</h2>
 *
 * <ol>
 *   <li>Workers have written every staged file under {@code .<lake>.staging/<runId>/files/} beside
 *       the lake, outside its {@code **} glob. The lake has not changed.
 *   <li>Any commit left unfinished by an earlier run of this lake (its {@code commit.json} is still
 *       there) is finished first, as below.
 *   <li>For every partition this run replaces ({@code study_key=S/form_key=F}, or a metadata
 *       table's {@code study_key=S}), the objects it holds now are listed, and the plan (staged
 *       object to its new name {@code part-NNNNN-<runId>.parquet}, and the old objects) is written
 *       as one object, {@code .<lake>.staging/<runId>/commit.json}. Writing it is the commit point:
 *       before it, the lake is unchanged; after it, the plan is carried out even if this process
 *       dies, by the next commit into the lake.
 *   <li>Partition after partition: copy the new objects in (server-side copies), then delete that
 *       partition's old objects.
 *   <li>Delete {@code commit.json}, then the run's staging objects.
 * </ol>
 *
 * <h2>What a reader of {@code lake/**}{@code /*.parquet} sees</h2>
 *
 * Before the commit point, the old lake; after the last partition, the new one. While a partition
 * is being replaced (its copies and deletes, a few requests), a listing can show its old objects
 * together with some or all of its new ones, so rows of that partition can appear twice, and a
 * reader that listed an old object just before it was deleted gets a not-found error. Partitions
 * not yet reached show their old objects, partitions done show only the new ones; at most one
 * partition is in between at any time. Objects are never partial (an upload or copy appears whole
 * or not at all). If the process dies between the commit point and the end, the lake stays in that
 * state (at most one partition doubled) until the next commit into the same lake finishes the plan.
 * Nothing is ever lost: old objects are deleted only after their replacements exist. Two runs must
 * not commit into one lake at the same time ({@link CommitLakeFn} serializes the commits of one
 * JVM; {@link LakeLock} keeps other runs out).
 *
 * <h2>Upserts (incremental exports and backfills)</h2>
 *
 * With {@link #withLedger(LedgerRun)}, a study read from a window is upserted: for each partition
 * the run touches (a form with a staged row, or a windowed metadata table such as {@code
 * subjects}), after any unfinished plan has been finished, its current objects and this run's
 * staged objects are copied through {@link FileSystems} to a local temporary folder, DuckDB writes
 * the current rows whose key ({@code record_id}, or the table's id) no staged row has, and that
 * file is uploaded to {@code .<lake>.staging/<runId>/carried/…} and planned as one more new object,
 * {@code part-carried-<runId>.parquet}, beside the staged ones. A form partition whose staged files
 * hold no row is left out of the plan and keeps its objects. The protocol and what a reader sees
 * are the same as above: while the touched partition is replaced, its listing may show the old
 * objects beside the new and carried ones, so each of its rows can appear twice (once old, once new
 * or carried), never zero times; a commit killed after its plan is finished by the next one, its
 * carried object included. The ledger object is written only after the plan's last partition (by
 * {@link CommitLakeFn}), so a run killed before it is repeated from the previous mark, and the
 * upsert makes the repetition exact. The committing worker needs local disk for the largest
 * partition it rewrites.
 */
final class ObjectStoreLakeCommit {
  private static final Logger LOG = LoggerFactory.getLogger(ObjectStoreLakeCommit.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String INTENT = "commit.json";

  private final String lake;
  private final String lakeRun;
  private final String metadata;
  private final String metadataRun;
  private final String runId;
  private AfterCopies afterCopies = partition -> {};
  private @Nullable LedgerRun ledger;
  private Runnable beforeEachStep = () -> {};

  /** Committed rows per study and form (form tables only). */
  final Map<String, Map<String, Long>> formRows = new TreeMap<>();

  /** The partition folders the commit wrote. */
  final List<String> committed = new ArrayList<>();

  ObjectStoreLakeCommit(
      String lake, String lakeRun, String metadata, String metadataRun, String runId) {
    this.lake = lake;
    this.lakeRun = lakeRun;
    this.metadata = metadata;
    this.metadataRun = metadataRun;
    this.runId = runId;
  }

  /**
   * Runs before each step that touches the file system (listing, the plan, each partition), so the
   * caller can make {@code FileSystems} use its job's options (see {@code RemoteFiles#useOptions}).
   */
  ObjectStoreLakeCommit beforeEachStep(Runnable step) {
    this.beforeEachStep = step;
    return this;
  }

  /** For tests: runs after each partition's new objects are copied, before its old are deleted. */
  interface AfterCopies {
    void copied(int partition) throws IOException;
  }

  /** For tests: a hook that fails or stops the commit between a partition's copies and deletes. */
  ObjectStoreLakeCommit afterCopies(AfterCopies hook) {
    this.afterCopies = hook;
    return this;
  }

  /**
   * Upserts the windowed studies of {@code run} ({@link LedgerRun#merge()}): each partition this
   * run touches keeps its rows whose key no staged row has, carried into one new object {@code
   * part-carried-<runId>.parquet} that is part of the plan; a form partition of such a study whose
   * staged files hold no row is left as it is. Default (null): partitions are replaced.
   */
  ObjectStoreLakeCommit withLedger(@Nullable LedgerRun run) {
    this.ledger = run;
    return this;
  }

  private boolean upserts(String study) {
    return ledger != null && ledger.merge() && ledger.windowFrom(study) != null;
  }

  void commit(Iterable<StagedFile> staged) throws IOException {
    beforeEachStep.run();
    finishInterruptedCommits();

    Map<String, List<StagedFile>> byFolder = new TreeMap<>();
    for (StagedFile f : staged) {
      String folder;
      if (f.kind() == TableSchema.Kind.FORM) {
        folder =
            lake
                + "/"
                + HiveParquet.studyFolder(f.studyKey())
                + "/"
                + HiveParquet.formFolder(f.tableKey());
        formRows
            .computeIfAbsent(f.studyKey(), k -> new TreeMap<>())
            .merge(f.tableKey(), f.rowCount(), Long::sum);
      } else {
        folder =
            metadata
                + "/"
                + HiveParquet.tableFolder(f.tableKey())
                + "/"
                + HiveParquet.studyFolder(f.studyKey());
      }
      byFolder.computeIfAbsent(folder, k -> new ArrayList<>()).add(f);
    }

    // Plan: new names for the staged objects (and a carried-over object per upserted partition),
    // and the objects each partition holds now.
    List<Map<String, Object>> partitions = new ArrayList<>();
    try {
      for (Map.Entry<String, List<StagedFile>> folder : byFolder.entrySet()) {
        List<StagedFile> files = new ArrayList<>(folder.getValue());
        files.sort(Comparator.comparing(StagedFile::path));
        StagedFile first = files.get(0);
        boolean form = first.kind() == TableSchema.Kind.FORM;
        String key = form ? "record_id" : ReadStudyMetadataTables.windowKey(first.tableKey());
        boolean upsert = key != null && upserts(first.studyKey());
        beforeEachStep.run();
        List<String> current = new ArrayList<>();
        for (MatchResult.Metadata m : list(folder.getKey() + "/**")) {
          current.add(m.resourceId().toString());
        }
        current.sort(null);
        if (upsert
            && form
            && files.stream().mapToLong(StagedFile::rowCount).sum() == 0
            && !current.isEmpty()) {
          continue; // no record of the form changed: its objects stay as they are
        }
        List<String> sources = new ArrayList<>();
        List<String> targets = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
          sources.add(files.get(i).path());
          targets.add(folder.getKey() + "/" + String.format("part-%05d-%s.parquet", i, runId));
        }
        if (upsert) {
          String relative = folder.getKey().substring((form ? lake : metadata).length() + 1);
          String carried =
              (form ? lakeRun : metadataRun) + "/carried/" + relative + "/part-carried.parquet";
          if (carryOver(folder.getKey(), current, files, carried, key)) {
            sources.add(carried);
            targets.add(folder.getKey() + "/part-carried-" + runId + ".parquet");
          }
        }
        List<String> old = new ArrayList<>();
        for (String object : current) {
          if (!targets.contains(object)) {
            old.add(object);
          }
        }
        Map<String, Object> partition = new LinkedHashMap<>();
        partition.put("folder", folder.getKey());
        partition.put("sources", sources);
        partition.put("targets", targets);
        partition.put("delete", old);
        partitions.add(partition);
        committed.add(folder.getKey());
      }
    } finally {
      closeDuckDb();
    }
    Map<String, Object> intent = new LinkedHashMap<>();
    intent.put("runId", runId);
    intent.put("staging", List.of(lakeRun, metadataRun));
    intent.put("partitions", partitions);

    String intentObject = lakeRun + "/" + INTENT;
    beforeEachStep.run();
    try (OutputStream out =
        Channels.newOutputStream(
            FileSystems.create(
                FileSystems.matchNewResource(intentObject, false), MimeTypes.TEXT))) {
      out.write(JSON.writeValueAsBytes(intent));
    }
    apply(intent, afterCopies, beforeEachStep);
    beforeEachStep.run();
    FileSystems.delete(
        List.of(FileSystems.matchNewResource(intentObject, false)),
        StandardMoveOptions.IGNORE_MISSING_FILES);
  }

  /**
   * Writes the rows of the partition's Parquet objects {@code current} whose {@code key} no staged
   * row has as the object {@code target}; returns false (and writes nothing) if none is left.
   * Object stores cannot be read by DuckDB here, so the objects are first copied through {@link
   * FileSystems} to a local temporary folder, removed again before this returns: the commit needs
   * local disk for the largest partition it rewrites.
   */
  private boolean carryOver(
      String folder, List<String> current, List<StagedFile> staged, String target, String key)
      throws IOException {
    List<String> oldObjects = new ArrayList<>();
    for (String object : current) {
      if (object.endsWith(".parquet")) {
        oldObjects.add(object);
      }
    }
    if (oldObjects.isEmpty()) {
      return false;
    }
    Path scratch = Files.createTempDirectory("imednet-carry-");
    try {
      List<String> oldLocal = new ArrayList<>();
      for (int i = 0; i < oldObjects.size(); i++) {
        beforeEachStep.run();
        oldLocal.add(download(oldObjects.get(i), scratch.resolve("old-" + i + ".parquet")));
      }
      List<String> stagedLocal = new ArrayList<>();
      for (int i = 0; i < staged.size(); i++) {
        beforeEachStep.run();
        stagedLocal.add(download(staged.get(i).path(), scratch.resolve("new-" + i + ".parquet")));
      }
      Path carried = scratch.resolve("carried.parquet");
      long kept;
      try {
        kept = LakeCommit.carry(duckDb(), oldLocal, stagedLocal, carried, key);
      } catch (java.sql.SQLException e) {
        throw new IOException(
            "Merging the new rows into " + folder + " failed: " + e.getMessage(), e);
      }
      if (kept == 0) {
        return false;
      }
      beforeEachStep.run();
      RemoteFiles.upload(carried, target);
      return true;
    } finally {
      LakeCommit.deleteTree(scratch);
    }
  }

  private static String download(String object, Path local) throws IOException {
    try (InputStream in =
        Channels.newInputStream(FileSystems.open(FileSystems.matchNewResource(object, false)))) {
      Files.copy(in, local);
    }
    return local.toString();
  }

  private @Nullable java.sql.Connection duckDb;

  private java.sql.Connection duckDb() throws java.sql.SQLException {
    if (duckDb == null) {
      duckDb = java.sql.DriverManager.getConnection("jdbc:duckdb:");
    }
    return duckDb;
  }

  private void closeDuckDb() {
    if (duckDb != null) {
      try {
        duckDb.close();
      } catch (java.sql.SQLException e) {
        // in-memory: nothing to lose
      }
      duckDb = null;
    }
  }

  /** Removes this run's staging objects. */
  void cleanUp() throws IOException {
    beforeEachStep.run();
    deleteAll(lakeRun);
    deleteAll(metadataRun);
  }

  /** Carries out the plans of commits that died after their commit point, oldest name first. */
  private void finishInterruptedCommits() throws IOException {
    List<MatchResult.Metadata> intents = list(LakeLocation.stagingRoot(lake) + "/*/" + INTENT);
    intents.sort(Comparator.comparing(m -> m.resourceId().toString()));
    for (MatchResult.Metadata m : intents) {
      Map<String, Object> intent;
      try (InputStream in = Channels.newInputStream(FileSystems.open(m.resourceId()))) {
        intent = JSON.readValue(in, new TypeReference<Map<String, Object>>() {});
      }
      LOG.info("Finishing the interrupted lake commit of run {}", intent.get("runId"));
      try {
        apply(intent, partition -> {}, beforeEachStep);
      } catch (IOException e) {
        throw new IOException(
            "Could not finish the interrupted lake commit of run "
                + intent.get("runId")
                + " (plan "
                + m.resourceId()
                + "): "
                + e.getMessage(),
            e);
      }
      FileSystems.delete(List.of(m.resourceId()), StandardMoveOptions.IGNORE_MISSING_FILES);
      if (runId.equals(intent.get("runId"))) {
        // A retry of this very commit: its staged files are this attempt's sources too.
        continue;
      }
      @SuppressWarnings("unchecked")
      List<String> staging = (List<String>) intent.get("staging");
      for (String dir : staging) {
        deleteAll(dir);
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static void apply(
      Map<String, Object> intent, AfterCopies afterCopies, Runnable beforeEachStep)
      throws IOException {
    int index = 0;
    for (Map<String, Object> partition : (List<Map<String, Object>>) intent.get("partitions")) {
      beforeEachStep.run();
      List<ResourceId> sources = ids((List<String>) partition.get("sources"));
      List<ResourceId> targets = ids((List<String>) partition.get("targets"));
      if (!sources.isEmpty()) {
        // An interrupted plan may have copied some already; copying again gives the same object.
        FileSystems.copy(sources, targets);
      }
      afterCopies.copied(index);
      FileSystems.delete(
          ids((List<String>) partition.get("delete")), StandardMoveOptions.IGNORE_MISSING_FILES);
      index++;
    }
  }

  private static List<ResourceId> ids(List<String> objects) {
    List<ResourceId> ids = new ArrayList<>(objects.size());
    for (String o : objects) {
      ids.add(FileSystems.matchNewResource(o, false));
    }
    return ids;
  }

  private static List<MatchResult.Metadata> list(String glob) throws IOException {
    MatchResult r = FileSystems.match(glob, EmptyMatchTreatment.ALLOW);
    if (r.status() == MatchResult.Status.NOT_FOUND) {
      return new ArrayList<>();
    }
    return new ArrayList<>(r.metadata());
  }

  private static void deleteAll(String folder) throws IOException {
    List<ResourceId> objects = new ArrayList<>();
    for (MatchResult.Metadata m : list(folder + "/**")) {
      objects.add(m.resourceId());
    }
    FileSystems.delete(objects, StandardMoveOptions.IGNORE_MISSING_FILES);
  }
}
