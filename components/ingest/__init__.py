"""Ingestion: raw CSV rows plus the image files they reference, into gzipped tf.Example TFRecords."""
