# ngx_llm gateway image: Debian bookworm, stock nginx + ngx_llm_module.so +
# controld + llmctl, built by the same `make deps` + `make` as on a host.
#
#   docker build -t ngx_llm .
#   docker run -p 4000:4000 -v $PWD/config.yaml:/etc/ngx_llm/config.yaml \
#              -v $PWD/.env:/etc/ngx_llm/.env ngx_llm
#
# conf/config.yaml is the default config; .env next to it is read if present.
FROM debian:bookworm

ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends make \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/ngx_llm
COPY . .
# Exactly the packages the Makefile lists (mk/deps.mk), then the build.
RUN make deps && make && rm -rf /var/lib/apt/lists/*

RUN mkdir -p /etc/ngx_llm /var/lib/ngx_llm \
 && cp conf/config.yaml /etc/ngx_llm/config.yaml

EXPOSE 4000
# llmctl run keeps nginx and controld in the foreground and stops both
# gracefully on SIGTERM (docker stop).
ENTRYPOINT ["build/llmctl", "run", "--config", "/etc/ngx_llm/config.yaml", \
            "--listen", "0.0.0.0:4000", "--prefix", "/var/lib/ngx_llm"]
