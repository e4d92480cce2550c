"""s3desk: put files into S3 without fear."""

__version__ = "0.1.0"
