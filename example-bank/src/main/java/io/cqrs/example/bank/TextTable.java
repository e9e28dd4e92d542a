package io.cqrs.example.bank;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/** A plain-text table with aligned columns; numeric columns are right-aligned. Not thread-safe. */
final class TextTable {
  private final String[] headers;
  private final List<Object[]> rows = new ArrayList<>();

  TextTable(String... headers) {
    this.headers = headers.clone();
  }

  TextTable row(Object... cells) {
    if (cells.length != headers.length) {
      throw new IllegalArgumentException(
          "expected " + headers.length + " cells, got " + cells.length);
    }
    rows.add(cells.clone());
    return this;
  }

  void print(PrintStream out) {
    int[] widths = new int[headers.length];
    boolean[] numeric = new boolean[headers.length];
    for (int c = 0; c < headers.length; c++) {
      widths[c] = headers[c].length();
      numeric[c] = !rows.isEmpty();
      for (Object[] row : rows) {
        widths[c] = Math.max(widths[c], text(row[c]).length());
        numeric[c] &= row[c] instanceof Number;
      }
    }
    out.println(line(headers, widths, numeric));
    for (Object[] row : rows) {
      out.println(line(row, widths, numeric));
    }
    if (rows.isEmpty()) {
      out.println("  (none)");
    }
  }

  private static String line(Object[] cells, int[] widths, boolean[] numeric) {
    StringBuilder line = new StringBuilder("  ");
    for (int c = 0; c < cells.length; c++) {
      String text = text(cells[c]);
      String padding = " ".repeat(widths[c] - text.length());
      line.append(numeric[c] ? padding + text : text + padding);
      if (c < cells.length - 1) {
        line.append("  ");
      }
    }
    return line.toString().stripTrailing();
  }

  private static String text(Object cell) {
    if (cell == null) {
      return "";
    }
    return cell instanceof java.math.BigDecimal amount ? amount.toPlainString() : cell.toString();
  }
}
