/**
 * andrewwebber's bank TestScenario ported end to end onto the in-memory store and buses: its own
 * Account aggregate, events, commands and read models, independent of the example-bank module.
 */
package io.cqrs.scenario;
