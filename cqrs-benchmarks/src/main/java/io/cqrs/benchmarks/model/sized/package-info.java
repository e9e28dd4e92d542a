/**
 * The aggregates of the dispatch benchmark: the same aggregate with 1, 5, 20 and 50 event types, on
 * cqrs ({@code Routed}) and written by hand ({@code HandRouted}), with identical handler bodies.
 * The classes are written out, one handler per type, because the baseline must be code a developer
 * would write.
 */
package io.cqrs.benchmarks.model.sized;
