/**
 * Support for running several example-bank processes against the same servers. The tests in this
 * module use it to check that the application keeps its guarantees when scaled out.
 */
package io.cqrs.scaleout;
