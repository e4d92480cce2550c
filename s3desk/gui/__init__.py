"""The window: Qt widgets and models over s3desk.core. Importing this package loads no Qt."""
