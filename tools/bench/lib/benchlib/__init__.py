"""Helpers of tools/bench/run: processes, the shared configuration, reports."""
