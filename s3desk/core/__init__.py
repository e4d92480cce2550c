"""The s3desk engine: scan, list, compare, plan, apply. It never imports Qt."""
