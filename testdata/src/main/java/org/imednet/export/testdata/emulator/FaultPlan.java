package org.imednet.export.testdata.emulator;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * Deterministic fault injection for the {@link ImednetEmulator}: "the Nth request matching X gets
 * fault F", optionally for {@code k} consecutive matching requests.
 *
 * <pre>{@code
 * FaultPlan plan = FaultPlan.builder()
 *     .onResource("records").nth(3).fault(Fault.tooManyRequests(Duration.ofSeconds(1)))
 *     .onResource("forms").nth(1).times(Integer.MAX_VALUE).fault(Fault.status(500))  // permanent
 *     .onPath("/api/v1/edc/studies/[^/]+/variables").nth(2).fault(Fault.run(() -> data.addRecord("S", rec)))
 *     .build();
 * }</pre>
 *
 * <p>Every rule counts the requests it matches, independently of other rules and in the order the
 * server receives them (requests are counted before authentication and rate limiting). When several
 * terminal faults apply to one request the first rule added wins; {@link Fault#run} hooks always
 * run, before the request is served. A plan holds counters: use one plan per emulator.
 */
public final class FaultPlan {
  private static final FaultPlan NONE = new FaultPlan(List.of());

  private final List<Rule> rules;

  private FaultPlan(List<Rule> rules) {
    this.rules = rules;
  }

  public static FaultPlan none() {
    return NONE;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Counts the request against every rule; returns the faults that apply, hooks first. */
  List<Fault> match(String path, String resource) {
    return match(path, resource, "");
  }

  /** As {@link #match(String, String)}, for a request with this raw query string. */
  List<Fault> match(String path, String resource, String rawQuery) {
    List<Fault> hooks = new ArrayList<>(1);
    Fault terminal = null;
    for (Rule rule : rules) {
      if (!rule.matches(path, resource, rawQuery)) {
        continue;
      }
      long n = rule.seen.incrementAndGet();
      if (n >= rule.nth && n - rule.nth < rule.times) {
        if (rule.fault.kind() == Fault.Kind.RUN) {
          hooks.add(rule.fault);
        } else if (terminal == null) {
          terminal = rule.fault;
        }
      }
    }
    if (terminal != null) {
      hooks.add(terminal);
    }
    return hooks;
  }

  /** Builds a plan rule by rule. */
  public static final class Builder {
    private final List<Rule> rules = new ArrayList<>();

    private Builder() {}

    /**
     * Requests for one resource: {@code studies}, {@code sites}, {@code forms}, {@code intervals},
     * {@code variables}, {@code subjects}, {@code visits}, {@code records}, {@code
     * recordRevisions}.
     */
    public RuleBuilder onResource(String resource) {
      return new RuleBuilder(this, null, resource);
    }

    /** Requests whose decoded path (e.g. {@code /api/v1/edc/studies/S/records}) matches. */
    public RuleBuilder onPath(String regex) {
      return new RuleBuilder(this, Pattern.compile(regex), null);
    }

    /** Every request. */
    public RuleBuilder onAnyRequest() {
      return new RuleBuilder(this, null, null);
    }

    public FaultPlan build() {
      return new FaultPlan(List.copyOf(rules));
    }
  }

  /** One rule under construction; finish it with {@link #fault}. */
  public static final class RuleBuilder {
    private final Builder parent;
    private final Pattern path;
    private final String resource;
    private Pattern query;
    private long nth = 1;
    private long times = 1;

    private RuleBuilder(Builder parent, Pattern path, String resource) {
      this.parent = parent;
      this.path = path;
      this.resource = resource;
    }

    /**
     * Only requests whose raw query string has a match of {@code regex}, e.g. {@code
     * "(^|&)size=500(&|$)"} for the full pages of a keyset read rather than the one-record requests
     * that plan it. Default: any query.
     */
    public RuleBuilder query(String regex) {
      this.query = Pattern.compile(regex);
      return this;
    }

    /** The first matching request (1-based) that gets the fault. Default 1. */
    public RuleBuilder nth(long nth) {
      if (nth < 1) {
        throw new IllegalArgumentException("nth must be >= 1, was " + nth);
      }
      this.nth = nth;
      return this;
    }

    /** How many consecutive matching requests get it. Default 1; a large value is permanent. */
    public RuleBuilder times(long times) {
      if (times < 1) {
        throw new IllegalArgumentException("times must be >= 1, was " + times);
      }
      this.times = times;
      return this;
    }

    public Builder fault(Fault fault) {
      parent.rules.add(new Rule(path, resource, query, nth, times, fault));
      return parent;
    }
  }

  private static final class Rule {
    final Pattern path;
    final String resource;
    final Pattern query;
    final long nth;
    final long times;
    final Fault fault;
    final AtomicLong seen = new AtomicLong();

    Rule(Pattern path, String resource, Pattern query, long nth, long times, Fault fault) {
      this.path = path;
      this.resource = resource;
      this.query = query;
      this.nth = nth;
      this.times = times;
      this.fault = fault;
    }

    boolean matches(String requestPath, String requestResource, String rawQuery) {
      if (path != null && !path.matcher(requestPath).matches()) {
        return false;
      }
      if (query != null && !query.matcher(rawQuery).find()) {
        return false;
      }
      return resource == null || resource.equals(requestResource);
    }
  }
}
