package org.imednet.export.testdata.snowflake;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Internal stages as directories under {@code <root>/stages/<DB>/<SCHEMA>/<STAGE>/}: PUT answers
 * with LOCAL_FS transfer instructions (the driver copies the file itself), LIST and REMOVE read the
 * directory.
 *
 * <p>An external stage has an (empty) directory there too, so that it exists, is replaced and is
 * dropped like an internal one, and its definition ({@link ExternalStage}) in {@code
 * <root>/external-stages/<DB>/<SCHEMA>/<STAGE>.properties}; LIST, REMOVE and COPY read and delete
 * the objects under its URL through {@link ObjectStore}, and PUT into it is refused, as in
 * Snowflake.
 */
final class Stages {
  private static final DateTimeFormatter LAST_MODIFIED =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.ENGLISH)
          .withZone(ZoneOffset.UTC);

  private final Path root;
  private final Path externalRoot;
  private final Path downloads;
  private final ObjectStore store;

  Stages(Path root, ObjectStore store) {
    this.root = root.resolve("stages");
    this.externalRoot = root.resolve("external-stages");
    this.downloads = root.resolve("tmp");
    this.store = store;
  }

  /**
   * A resolved stage location: its directory, the path within it, the LIST name prefix, and for an
   * external stage its definition (else null).
   */
  static final class Location {
    final Path dir;
    final String path;
    final String listPrefix;
    final String displayName;
    final ExternalStage external;

    Location(Path dir, String path, String listPrefix, String displayName) {
      this(dir, path, listPrefix, displayName, null);
    }

    Location(Path dir, String path, String listPrefix, String displayName, ExternalStage external) {
      this.dir = dir;
      this.path = path;
      this.listPrefix = listPrefix;
      this.displayName = displayName;
      this.external = external;
    }

    /** LIST/COPY name of a stage file. */
    String name(String relative) {
      return listPrefix + relative;
    }
  }

  /**
   * A staged file: its path relative to the stage's root, and either the local file (internal
   * stages) or the object (external stages).
   */
  static final class StagedFile {
    final String relative;
    final Path file;
    final ObjectStore.Entry object;
    private final ExternalStage external;

    StagedFile(String relative, Path file) {
      this.relative = relative;
      this.file = file;
      this.object = null;
      this.external = null;
    }

    StagedFile(String relative, ExternalStage external, ObjectStore.Entry object) {
      this.relative = relative;
      this.file = null;
      this.object = object;
      this.external = external;
    }

    long size() {
      if (object != null) {
        return object.size;
      }
      try {
        return Files.size(file);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** The MD5 of an internal stage's file; an object's ETag, as Snowflake lists for S3. */
    String checksum() {
      return object != null ? object.etag : md5(file);
    }

    java.time.Instant lastModified() {
      if (object != null) {
        return object.lastModified;
      }
      try {
        return Files.getLastModifiedTime(file).toInstant();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** What the load history is keyed on: the file's absolute path, or the object's URL. */
    String historyKey() {
      return object != null ? external.urlOf(object.key) : file.toAbsolutePath().toString();
    }
  }

  Path stageDir(String db, String schema, String name) {
    return root.resolve(encode(db)).resolve(encode(schema)).resolve(encode(name));
  }

  Path databaseDir(String db) {
    return root.resolve(encode(db));
  }

  Path schemaDir(String db, String schema) {
    return root.resolve(encode(db)).resolve(encode(schema));
  }

  private static String encode(String name) {
    return URLEncoder.encode(name, StandardCharsets.UTF_8);
  }

  private Path externalDefinition(String db, String schema, String name) {
    return externalRoot
        .resolve(encode(db))
        .resolve(encode(schema))
        .resolve(encode(name) + ".properties");
  }

  boolean exists(String db, String schema, String name) {
    return Files.isDirectory(stageDir(db, schema, name));
  }

  /** Creates an internal stage ({@code external} null) or an external one; it must not exist. */
  void create(String db, String schema, String name, ExternalStage external) {
    try {
      Files.createDirectories(stageDir(db, schema, name));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (external != null) {
      external.save(externalDefinition(db, schema, name));
    }
  }

  /** Drops a stage: an internal stage's files, an external stage's definition (not its objects). */
  void drop(String db, String schema, String name) {
    deleteTree(stageDir(db, schema, name));
    try {
      Files.deleteIfExists(externalDefinition(db, schema, name));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  void dropSchema(String db, String schema) {
    deleteTree(schemaDir(db, schema));
    deleteTree(externalRoot.resolve(encode(db)).resolve(encode(schema)));
  }

  void dropDatabase(String db) {
    deleteTree(databaseDir(db));
    deleteTree(externalRoot.resolve(encode(db)));
  }

  /**
   * Resolves {@code @[db.][schema.]stage[/path]}, {@code @~[/path]} or {@code @%table[/path]}
   * (quotes around the whole reference already removed).
   */
  Location resolve(String ref, Session session) throws SnowflakeError {
    if (!ref.startsWith("@")) {
      throw SnowflakeError.syntax("a stage location must start with '@', was " + ref);
    }
    int i = 1;
    List<String> parts = new ArrayList<>();
    StringBuilder part = new StringBuilder();
    boolean quoted = false;
    boolean wasQuoted = false;
    for (; i < ref.length(); i++) {
      char c = ref.charAt(i);
      if (quoted) {
        if (c == '"' && i + 1 < ref.length() && ref.charAt(i + 1) == '"') {
          part.append('"');
          i++;
        } else if (c == '"') {
          quoted = false;
        } else {
          part.append(c);
        }
      } else if (c == '"') {
        quoted = true;
        wasQuoted = true;
      } else if (c == '.' || c == '/') {
        parts.add(wasQuoted ? part.toString() : part.toString().toUpperCase(Locale.ROOT));
        part.setLength(0);
        wasQuoted = false;
        if (c == '/') {
          break;
        }
      } else {
        part.append(c);
      }
    }
    if (part.length() > 0 || i >= ref.length()) {
      parts.add(wasQuoted ? part.toString() : part.toString().toUpperCase(Locale.ROOT));
    }
    String path = i < ref.length() ? ref.substring(i + 1) : "";
    if (path.contains("..")) {
      throw SnowflakeError.syntax("stage paths may not contain '..': " + ref);
    }
    String last = parts.get(parts.size() - 1);
    if (parts.size() == 1 && last.equals("~")) {
      Path dir = root.resolve("~users").resolve(encode(session.user));
      return new Location(dir, path, "", "~");
    }
    if (parts.size() > 3 || last.isEmpty()) {
      throw SnowflakeError.syntax("invalid stage reference " + ref);
    }
    String db = parts.size() == 3 ? parts.get(0) : session.database;
    String schema = parts.size() >= 2 ? parts.get(parts.size() - 2) : session.schema;
    if (db == null || schema == null) {
      throw new SnowflakeError(
          "090105",
          "22000",
          "Cannot perform STAGE operation. This session does not have a current "
              + (db == null ? "database" : "schema")
              + ". Call 'USE DATABASE', or use a qualified name.");
    }
    if (last.startsWith("%")) {
      Path dir = stageDir(db, schema, last);
      return new Location(dir, path, "", last);
    }
    Path dir = stageDir(db, schema, last);
    if (!Files.isDirectory(dir)) {
      throw SnowflakeError.notFound("Stage", db + "." + schema + "." + last);
    }
    ExternalStage external = ExternalStage.load(externalDefinition(db, schema, last));
    if (external != null) {
      return new Location(dir, path, external.url + "/", last, external);
    }
    return new Location(dir, path, last.toLowerCase(Locale.ROOT) + "/", last);
  }

  /** The files whose stage-relative path starts with the location's path, sorted. */
  List<StagedFile> files(Location location) throws SnowflakeError {
    ExternalStage external = location.external;
    if (external != null) {
      List<StagedFile> out = new ArrayList<>();
      for (ObjectStore.Entry e : store.list(external, external.prefix + location.path)) {
        out.add(new StagedFile(e.key.substring(external.prefix.length()), external, e));
      }
      return out;
    }
    if (!Files.isDirectory(location.dir)) {
      return List.of();
    }
    try (Stream<Path> walk = Files.walk(location.dir)) {
      return walk.filter(Files::isRegularFile)
          .map(p -> new StagedFile(location.dir.relativize(p).toString().replace('\\', '/'), p))
          .filter(f -> f.relative.startsWith(location.path))
          .sorted(Comparator.comparing(f -> f.relative))
          .collect(Collectors.toList());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  Result put(String sql, Session session, String queryId) throws SnowflakeError {
    List<String> words = RawWords.split(sql);
    if (words.size() < 3) {
      throw SnowflakeError.syntax("PUT needs a local file and a stage: PUT file://<path> @<stage>");
    }
    String source = RawWords.unquote(words.get(1));
    if (!source.regionMatches(true, 0, "file://", 0, 7)) {
      throw SnowflakeError.syntax("PUT source must start with file://, was " + source);
    }
    String localPath = source.substring(7);
    Location location = resolve(RawWords.unquote(words.get(2)), session);
    if (location.external != null) {
      throw SnowflakeError.syntax(
          "PUT cannot upload into the external stage "
              + location.displayName
              + " ("
              + location.external.url
              + "); write the files to its bucket instead.");
    }
    Map<String, String> options = RawWords.options(words.subList(3, words.size()));
    Path target = location.dir.resolve(location.path).normalize();
    if (!target.startsWith(location.dir)) {
      throw SnowflakeError.syntax("stage path escapes the stage: " + location.path);
    }
    JsonNodeFactory f = JsonNodeFactory.instance;
    ObjectNode data = f.objectNode();
    data.put("command", "UPLOAD");
    data.putArray("src_locations").add(localPath);
    data.put("parallel", 1);
    data.put("autoCompress", !"FALSE".equalsIgnoreCase(options.getOrDefault("AUTO_COMPRESS", "")));
    data.put("overwrite", "TRUE".equalsIgnoreCase(options.getOrDefault("OVERWRITE", "")));
    data.put("sourceCompression", options.getOrDefault("SOURCE_COMPRESSION", "auto_detect"));
    data.put("threshold", 200L * 1024 * 1024);
    data.putNull("encryptionMaterial");
    data.put("clientShowEncryptionParameter", false);
    ObjectNode stageInfo = data.putObject("stageInfo");
    stageInfo.put("locationType", "LOCAL_FS");
    stageInfo.put("location", target.toString());
    stageInfo.put("path", "");
    stageInfo.putNull("region");
    stageInfo.putNull("storageAccount");
    stageInfo.put("isClientSideEncrypted", false);
    stageInfo.putObject("creds");
    data.put("queryId", queryId);
    Result r = new Result(Result.PUT);
    r.transfer = data;
    return r;
  }

  Result list(String sql, Session session) throws SnowflakeError {
    List<String> words = RawWords.split(sql);
    if (words.size() < 2) {
      throw SnowflakeError.syntax("LIST needs a stage: LIST @<stage>[/path]");
    }
    Location location = resolve(RawWords.unquote(words.get(1)), session);
    Pattern pattern = pattern(RawWords.options(words.subList(2, words.size())));
    Result r = new Result(Result.LIST);
    r.columns.add(Result.Column.text("name"));
    r.columns.add(Result.Column.fixed("size"));
    r.columns.add(Result.Column.text("md5"));
    r.columns.add(Result.Column.text("last_modified"));
    for (StagedFile file : files(location)) {
      String name = location.name(file.relative);
      if (pattern != null && !pattern.matcher(name).matches()) {
        continue;
      }
      r.rows.add(
          List.of(
              name,
              Long.toString(file.size()),
              file.checksum(),
              LAST_MODIFIED.format(file.lastModified())));
    }
    return r;
  }

  Result remove(String sql, Session session) throws SnowflakeError {
    List<String> words = RawWords.split(sql);
    if (words.size() < 2) {
      throw SnowflakeError.syntax("REMOVE needs a stage: REMOVE @<stage>[/path]");
    }
    Location location = resolve(RawWords.unquote(words.get(1)), session);
    Pattern pattern = pattern(RawWords.options(words.subList(2, words.size())));
    Result r = new Result(Result.REMOVE);
    r.columns.add(Result.Column.text("name"));
    r.columns.add(Result.Column.text("result"));
    for (StagedFile file : files(location)) {
      String name = location.name(file.relative);
      if (pattern != null && !pattern.matcher(name).matches()) {
        continue;
      }
      delete(location, file);
      r.rows.add(List.of(name, "removed"));
    }
    return r;
  }

  /** Deletes a staged file: the local file, or the object from the stage's bucket. */
  void delete(Location location, StagedFile file) throws SnowflakeError {
    if (file.object != null) {
      store.delete(location.external, file.object.key);
      return;
    }
    try {
      Files.deleteIfExists(file.file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A local file with the staged file's bytes, for DuckDB to read: an internal stage's own file, or
   * a download of the object into {@code <root>/tmp/}, which {@link #release} deletes.
   */
  Path localCopy(Location location, StagedFile file) throws SnowflakeError {
    if (file.object == null) {
      return file.file;
    }
    try {
      Files.createDirectories(downloads);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Path target = downloads.resolve(java.util.UUID.randomUUID() + ".parquet");
    store.download(location.external, file.object.key, target);
    return target;
  }

  /** Deletes a download made by {@link #localCopy}; an internal stage's file stays. */
  void release(StagedFile file, Path local) {
    if (file.object != null && local != null) {
      try {
        Files.deleteIfExists(local);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private static Pattern pattern(Map<String, String> options) {
    String p = options.get("PATTERN");
    return p == null ? null : Pattern.compile(p);
  }

  static String md5(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest md = MessageDigest.getInstance("MD5");
      byte[] buf = new byte[65536];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).collect(Collectors.toList())) {
        Files.delete(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
