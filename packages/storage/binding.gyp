{
  "targets": [
    {
      "target_name": "tributary_storage",
      "sources": ["native/addon.c", "native/crc32c.c"],
      "cflags": ["-O3"]
    }
  ]
}
