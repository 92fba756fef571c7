package org.imednet.export.testdata.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * {@link StudyData} read from a folder in the testdata format: one sub-folder per study holding
 * {@code study.json} (one Study object) and any of {@code sites.json}, {@code forms.json}, … (JSON
 * arrays; a missing file is an empty resource).
 *
 * <p>Mutable for tests ({@link #addRecord}, {@link #replaceRecord}, {@link #removeRecord}, {@link
 * #putStudy}, {@link #setItems}) and thread-safe: readers see immutable snapshots (sorted id
 * arrays, answered by binary search), writers replace a snapshot under a lock. Mutation costs
 * O(items of the resource), which is fine for test-sized data.
 *
 * <pre>{@code
 * FolderStudyData data = FolderStudyData.load(SampleStudies.root());
 * data.addRecord("CARDIO01", newRecord);   // e.g. from a FaultPlan hook, mid-export
 * }</pre>
 */
public final class FolderStudyData implements StudyData {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final Object lock = new Object();
  private volatile Map<String, StudySnapshot> studies;

  private FolderStudyData(Map<String, StudySnapshot> studies) {
    this.studies = studies;
  }

  /** An instance with no studies; add some with {@link #putStudy} and {@link #setItems}. */
  public static FolderStudyData empty() {
    return new FolderStudyData(Collections.emptyMap());
  }

  /**
   * Loads every sub-folder of {@code root} as a study: its {@code study.json} (required) and any of
   * the resource files. A folder without {@code study.json} but with resource files, a file that is
   * not valid JSON, or a resource file that is not an array is an error naming the file.
   */
  public static FolderStudyData load(Path root) {
    if (!Files.isDirectory(root)) {
      throw new IllegalArgumentException("studies folder " + root + " does not exist");
    }
    Map<String, StudySnapshot> studies = new TreeMap<>();
    try (Stream<Path> dirs = Files.list(root)) {
      for (Path dir : (Iterable<Path>) dirs.sorted()::iterator) {
        if (!Files.isDirectory(dir)) {
          continue;
        }
        Path studyFile = dir.resolve("study.json");
        if (!Files.isRegularFile(studyFile)) {
          boolean hasResources = false;
          for (Resource r : Resource.values()) {
            hasResources |= Files.isRegularFile(dir.resolve(r.fileName()));
          }
          if (hasResources) {
            throw new IllegalArgumentException(
                dir + " has resource files but no study.json (one Study object)");
          }
          continue;
        }
        JsonNode study = readJson(studyFile);
        if (!study.isObject()) {
          throw new IllegalArgumentException(studyFile + " must hold one Study JSON object");
        }
        String key = study.path("studyKey").asText("");
        if (key.isEmpty()) {
          throw new IllegalArgumentException(studyFile + " has no studyKey");
        }
        Map<Resource, Table> tables = new EnumMap<>(Resource.class);
        for (Resource r : Resource.values()) {
          Path file = dir.resolve(r.fileName());
          List<JsonNode> items = new ArrayList<>();
          if (Files.isRegularFile(file)) {
            JsonNode array = readJson(file);
            if (!array.isArray()) {
              throw new IllegalArgumentException(file + " must hold a JSON array");
            }
            array.forEach(items::add);
          }
          tables.put(r, Table.of(r, items));
        }
        studies.put(key, new StudySnapshot(study, tables));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read test studies under " + root, e);
    }
    return new FolderStudyData(Collections.unmodifiableMap(studies));
  }

  private static JsonNode readJson(Path file) throws IOException {
    try {
      return MAPPER.readTree(file.toFile());
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException(
          file
              + " is not valid JSON (line "
              + e.getLocation().getLineNr()
              + ", column "
              + e.getLocation().getColumnNr()
              + "): "
              + e.getOriginalMessage());
    }
  }

  @Override
  public List<JsonNode> studies() {
    List<JsonNode> out = new ArrayList<>();
    for (StudySnapshot s : studies.values()) {
      out.add(s.study);
    }
    return out;
  }

  @Override
  public boolean hasStudy(String studyKey) {
    return studies.containsKey(studyKey);
  }

  @Override
  public Iterator<JsonNode> items(
      String studyKey, Resource resource, Slice slice, long offset, boolean descending) {
    return table(studyKey, resource).items(slice, offset, descending);
  }

  @Override
  public long count(String studyKey, Resource resource, Slice slice) {
    return table(studyKey, resource).count(slice);
  }

  /** A snapshot of one resource's items, ascending by primary id. */
  public List<JsonNode> list(String studyKey, Resource resource) {
    return Collections.unmodifiableList(Arrays.asList(table(studyKey, resource).items));
  }

  /** Adds or replaces a study (by its {@code studyKey}), keeping its items if it existed. */
  public void putStudy(ObjectNode study) {
    String key = study.path("studyKey").asText("");
    if (key.isEmpty()) {
      throw new IllegalArgumentException("study has no studyKey: " + study);
    }
    synchronized (lock) {
      Map<String, StudySnapshot> next = new TreeMap<>(studies);
      StudySnapshot old = next.get(key);
      Map<Resource, Table> tables = new EnumMap<>(Resource.class);
      for (Resource r : Resource.values()) {
        tables.put(r, old == null ? Table.of(r, List.of()) : old.tables.get(r));
      }
      next.put(key, new StudySnapshot(study.deepCopy(), tables));
      studies = Collections.unmodifiableMap(next);
    }
  }

  /** Replaces all items of one resource of an existing study. */
  public void setItems(String studyKey, Resource resource, List<? extends JsonNode> items) {
    synchronized (lock) {
      update(studyKey, resource, Table.of(resource, new ArrayList<>(items)));
    }
  }

  /** Adds a record; its {@code recordId} must be new in the study. */
  public void addRecord(String studyKey, ObjectNode record) {
    long id = requireId(record);
    synchronized (lock) {
      TreeMap<Long, JsonNode> all = table(studyKey, Resource.RECORDS).toMap();
      if (all.containsKey(id)) {
        throw new IllegalArgumentException(
            "study " + studyKey + " already has record " + id + "; use replaceRecord");
      }
      all.put(id, record.deepCopy());
      update(studyKey, Resource.RECORDS, Table.of(Resource.RECORDS, new ArrayList<>(all.values())));
    }
  }

  /** Replaces the record with the same {@code recordId}, which must exist. */
  public void replaceRecord(String studyKey, ObjectNode record) {
    long id = requireId(record);
    synchronized (lock) {
      TreeMap<Long, JsonNode> all = table(studyKey, Resource.RECORDS).toMap();
      if (!all.containsKey(id)) {
        throw new IllegalArgumentException("study " + studyKey + " has no record " + id);
      }
      all.put(id, record.deepCopy());
      update(studyKey, Resource.RECORDS, Table.of(Resource.RECORDS, new ArrayList<>(all.values())));
    }
  }

  /** Removes a record (a hard delete, unlike {@code deleted: true}); returns whether it existed. */
  public boolean removeRecord(String studyKey, long recordId) {
    synchronized (lock) {
      TreeMap<Long, JsonNode> all = table(studyKey, Resource.RECORDS).toMap();
      if (all.remove(recordId) == null) {
        return false;
      }
      update(studyKey, Resource.RECORDS, Table.of(Resource.RECORDS, new ArrayList<>(all.values())));
      return true;
    }
  }

  /** A copy of one record, or null. */
  public ObjectNode record(String studyKey, long recordId) {
    Table t = table(studyKey, Resource.RECORDS);
    int i = Arrays.binarySearch(t.ids, recordId);
    return i >= 0 ? (ObjectNode) t.items[i].deepCopy() : null;
  }

  private static long requireId(ObjectNode record) {
    JsonNode id = record.get("recordId");
    if (id == null || !id.canConvertToLong()) {
      throw new IllegalArgumentException("record has no numeric recordId: " + record);
    }
    if (!record.path("formId").canConvertToLong()) {
      throw new IllegalArgumentException("record has no numeric formId: " + record);
    }
    return id.asLong();
  }

  private void update(String studyKey, Resource resource, Table table) {
    StudySnapshot old = studies.get(studyKey);
    if (old == null) {
      throw new IllegalArgumentException("unknown study " + studyKey);
    }
    Map<Resource, Table> tables = new EnumMap<>(old.tables);
    tables.put(resource, table);
    Map<String, StudySnapshot> next = new TreeMap<>(studies);
    next.put(studyKey, new StudySnapshot(old.study, tables));
    studies = Collections.unmodifiableMap(next);
  }

  private Table table(String studyKey, Resource resource) {
    StudySnapshot s = studies.get(studyKey);
    if (s == null) {
      throw new IllegalArgumentException("unknown study " + studyKey);
    }
    return s.tables.get(resource);
  }

  private static final class StudySnapshot {
    final JsonNode study;
    final Map<Resource, Table> tables;

    StudySnapshot(JsonNode study, Map<Resource, Table> tables) {
      this.study = study;
      this.tables = tables;
    }
  }

  /** Items sorted by primary id, with a per-form index for resources that carry formId. */
  private static final class Table {
    final long[] ids;
    final JsonNode[] items;
    final Map<Long, Table> byForm;

    private Table(long[] ids, JsonNode[] items, Map<Long, Table> byForm) {
      this.ids = ids;
      this.items = items;
      this.byForm = byForm;
    }

    static Table of(Resource resource, List<JsonNode> unsorted) {
      String idField = resource.idField();
      List<JsonNode> sorted = new ArrayList<>(unsorted);
      sorted.sort((a, b) -> Long.compare(a.path(idField).asLong(), b.path(idField).asLong()));
      Table all = build(idField, sorted);
      Map<Long, Table> byForm = Collections.emptyMap();
      if (resource.hasFormId()) {
        Map<Long, List<JsonNode>> groups = new HashMap<>();
        for (JsonNode item : sorted) {
          groups.computeIfAbsent(item.path("formId").asLong(), k -> new ArrayList<>()).add(item);
        }
        byForm = new HashMap<>();
        for (Map.Entry<Long, List<JsonNode>> e : groups.entrySet()) {
          byForm.put(e.getKey(), build(idField, e.getValue()));
        }
      }
      return new Table(all.ids, all.items, byForm);
    }

    private static Table build(String idField, List<JsonNode> sorted) {
      long[] ids = new long[sorted.size()];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = sorted.get(i).path(idField).asLong();
      }
      return new Table(ids, sorted.toArray(new JsonNode[0]), Collections.emptyMap());
    }

    TreeMap<Long, JsonNode> toMap() {
      TreeMap<Long, JsonNode> m = new TreeMap<>();
      for (int i = 0; i < ids.length; i++) {
        m.put(ids[i], items[i]);
      }
      return m;
    }

    private Table select(Slice slice) {
      if (slice.formId() == null) {
        return this;
      }
      Table t = byForm.get(slice.formId());
      return t == null ? EMPTY : t;
    }

    /** First index with id > bound. */
    private static int upperBound(long[] ids, long bound) {
      int lo = 0;
      int hi = ids.length;
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (ids[mid] <= bound) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      return lo;
    }

    long count(Slice slice) {
      if (slice.isEmptyRange()) {
        return 0;
      }
      Table t = select(slice);
      return upperBound(t.ids, slice.upToId()) - upperBound(t.ids, slice.afterId());
    }

    Iterator<JsonNode> items(Slice slice, long offset, boolean descending) {
      Table t = select(slice);
      if (slice.isEmptyRange()) {
        return Collections.emptyIterator();
      }
      int from = upperBound(t.ids, slice.afterId());
      int to = upperBound(t.ids, slice.upToId());
      long size = to - from;
      if (offset >= size) {
        return Collections.emptyIterator();
      }
      int start = descending ? (int) (to - 1 - offset) : (int) (from + offset);
      int end = descending ? from - 1 : to;
      int step = descending ? -1 : 1;
      JsonNode[] items = t.items;
      return new Iterator<>() {
        int next = start;

        @Override
        public boolean hasNext() {
          return next != end;
        }

        @Override
        public JsonNode next() {
          if (next == end) {
            throw new NoSuchElementException();
          }
          JsonNode item = items[next];
          next += step;
          return item;
        }
      };
    }

    static final Table EMPTY = new Table(new long[0], new JsonNode[0], Collections.emptyMap());
  }
}
