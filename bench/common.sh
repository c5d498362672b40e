# Shared by the benchmark scripts (sourced from the checkout's root).

# A fresh work directory with a dev certificate and PyJWT-made tokens, and
# the environment the gateway and wrk's mint.lua and mint_users.lua read
# (an RS256 token; a file of 1,000 users' RS256 tokens; a throwaway API key
# and handle key).
prepare_work() {  # $1: work directory
  local work=$1
  rm -rf "$work"; mkdir -p "$work"
  bash tools/make-dev-cert.sh "$work/pki" >/dev/null
  /usr/bin/python3 tests/support/make_tokens.py "$work/tokens" --bench-users 1000 >/dev/null
  TOKENS_FILE=$work/tokens/bench_users.txt
  export TOKENS_FILE
  TOKEN=$(/usr/bin/python3 -c "import json;print(json.load(open('$work/tokens/manifest.json'))['bench_rs256'])")
  OPENAI_API_KEY=sk-bench-$(openssl rand -hex 8)
  CHATKIT_GATEWAY_HANDLE_KEY=$(openssl rand -base64 32)
  export TOKEN OPENAI_API_KEY CHATKIT_GATEWAY_HANDLE_KEY
}

# nginx as a TLS reverse proxy to the
# simulator on 127.0.0.1:18787, listening on 127.0.0.1:18444 (keep-alive
# upstream, certificate verified, access log buffered), doing no other work:
# the reference the gateway's CPU per request is compared with.
write_nginx_conf() {  # $1: work directory with pki/
  local work=$1
  cat > "$work/nginx.conf" <<NGINX
  worker_processes 2;
  pid $work/nginx.pid;
  error_log $work/nginx-error.log warn;
  events { worker_connections 10000; }
  http {
    access_log $work/nginx-access.log combined buffer=64k flush=1s;
    upstream sim { server 127.0.0.1:18787; keepalive 64; }
    server {
      listen 127.0.0.1:18444 ssl;
      ssl_certificate $work/pki/server.pem;
      ssl_certificate_key $work/pki/server.key;
      ssl_protocols TLSv1.2 TLSv1.3;
      keepalive_requests 1000000;
      location / {
        proxy_pass https://sim;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate $work/pki/ca.pem;
        proxy_ssl_name localhost;
        proxy_ssl_session_reuse on;
      }
    }
  }
NGINX
}
