{
  "targets": [
    {
      "target_name": "tributary_storage",
      "sources": ["native/addon.c"],
      "cflags": ["-O3"]
    }
  ]
}
