/*
 * Vertex AI in controld: the service-account JWT (cfg_jwt.c) -- base64url
 * against RFC 4648 vectors, the claims Google's token endpoint checks, an
 * RS256 signature that verifies with the key's public half (a key made
 * here) -- and what a vertex_ai deployment compiles to (cfg_vertex.c).
 * The token exchange itself is in t/integration/vertex.test.mjs.
 */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "cfg_compile.h"
#include "cfg_jwt.h"
#include "unit.h"


static void
check_b64(const char *in, const char *want)
{
    char  *out = cfg_base64url((const unsigned char *) in, strlen(in));

    CHECK_STR(out, want);
    free(out);
}

UNIT_TEST(test_base64url)
{
    unsigned char  bin[] = { 0xfb, 0xff, 0xfe };
    char          *out;

    check_b64("", "");
    check_b64("f", "Zg");
    check_b64("fo", "Zm8");
    check_b64("foo", "Zm9v");
    check_b64("foob", "Zm9vYg");
    check_b64("fooba", "Zm9vYmE");
    check_b64("foobar", "Zm9vYmFy");
    out = cfg_base64url(bin, sizeof(bin));
    CHECK_STR(out, "-__-");             /* the URL-safe alphabet */
    free(out);
}

UNIT_TEST(test_claims)
{
    char  *c = cfg_jwt_claims("sa@p.iam.gserviceaccount.com",
                              "https://www.googleapis.com/auth/cloud-platform",
                              "https://oauth2.googleapis.com/token",
                              1700000000);

    CHECK_STR(c, "{\"iss\":\"sa@p.iam.gserviceaccount.com\","
              "\"scope\":\"https://www.googleapis.com/auth/cloud-platform\","
              "\"aud\":\"https://oauth2.googleapis.com/token\","
              "\"iat\":1700000000,\"exp\":1700003600}");
    free(c);
}

static unsigned char *
b64url_decode(const char *s, size_t n, size_t *outlen)
{
    char           *std;
    unsigned char  *out;
    size_t          i, padded;
    int             len;

    padded = (n + 3) / 4 * 4;
    std = calloc(1, padded + 1);
    for (i = 0; i < n; i++) {
        std[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
    }
    for ( ; i < padded; i++) {
        std[i] = '=';
    }
    out = malloc(padded);
    len = EVP_DecodeBlock(out, (unsigned char *) std, (int) padded);
    free(std);
    *outlen = len - (padded - n);
    return out;
}

UNIT_TEST(test_rs256)
{
    EVP_PKEY       *key;
    EVP_MD_CTX     *md;
    BIO            *bio;
    char           *pem, *jwt, err[160];
    const char     *dot1, *dot2;
    unsigned char  *part, *sig;
    size_t          n, siglen;
    long            pemlen;
    json_t         *j;

    key = EVP_RSA_gen(2048);
    CHECK(key != NULL);
    bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL);
    pemlen = BIO_get_mem_data(bio, &pem);
    pem = strndup(pem, (size_t) pemlen);
    BIO_free(bio);

    CHECK(cfg_jwt_key_check(pem, err, sizeof(err)) == 0);
    CHECK(cfg_jwt_key_check("not a key", err, sizeof(err)) == -1);
    CHECK_STR(err, "private_key is not a PEM private key");

    jwt = cfg_jwt_rs256(pem, "sa@p", "scope-x", "https://t/token",
                        1700000000, err, sizeof(err));
    CHECK(jwt != NULL);
    dot1 = strchr(jwt, '.');
    dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    CHECK(dot2 != NULL && strchr(dot2 + 1, '.') == NULL);

    part = b64url_decode(jwt, (size_t) (dot1 - jwt), &n);
    CHECK(n == strlen("{\"alg\":\"RS256\",\"typ\":\"JWT\"}")
          && memcmp(part, "{\"alg\":\"RS256\",\"typ\":\"JWT\"}", n) == 0);
    free(part);

    part = b64url_decode(dot1 + 1, (size_t) (dot2 - dot1 - 1), &n);
    j = json_loadb((char *) part, n, 0, NULL);
    CHECK_STR(json_string_value(json_object_get(j, "iss")), "sa@p");
    CHECK_STR(json_string_value(json_object_get(j, "aud")),
              "https://t/token");
    CHECK(json_integer_value(json_object_get(j, "exp")) == 1700003600);
    json_decref(j);
    free(part);

    sig = b64url_decode(dot2 + 1, strlen(dot2 + 1), &siglen);
    CHECK(siglen == 256);
    md = EVP_MD_CTX_new();
    CHECK(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1);
    CHECK(EVP_DigestVerify(md, sig, siglen, (unsigned char *) jwt,
                           (size_t) (dot2 - jwt)) == 1);
    /* one byte of the claims changed: the signature no longer holds */
    jwt[(dot1 - jwt) + 3] ^= 1;
    CHECK(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1);
    CHECK(EVP_DigestVerify(md, sig, siglen, (unsigned char *) jwt,
                           (size_t) (dot2 - jwt)) != 1);
    EVP_MD_CTX_free(md);
    free(sig);
    free(jwt);
    free(pem);
    EVP_PKEY_free(key);
}


static char *
new_key_pem(void)
{
    EVP_PKEY  *key = EVP_RSA_gen(2048);
    BIO       *bio = BIO_new(BIO_s_mem());
    char      *pem;
    long       n;

    PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL);
    n = BIO_get_mem_data(bio, &pem);
    pem = strndup(pem, (size_t) n);
    BIO_free(bio);
    EVP_PKEY_free(key);
    return pem;
}

static json_t *
compile_one(const char *yaml, json_t **disabled)
{
    cfg_result_t  res;
    json_t       *dep;

    CHECK(cfg_compile_text(yaml, strlen(yaml), "config.yaml", NULL, &res)
          == 0);
    dep = json_incref(json_array_get(json_object_get(res.doc,
                                                     "deployments"), 0));
    *disabled = json_incref(json_array_get(json_object_get(res.doc,
                                                           "disabled"), 0));
    cfg_result_free(&res);
    return dep;
}

/* one vertex_ai deployment with these params and the key file */
static void
vertex_model_yaml(char *yaml, size_t size, const char *model,
    const char *params, const char *path)
{
    snprintf(yaml, size, "model_list:\n"
             "  - model_name: g\n"
             "    litellm_params:\n"
             "      model: vertex_ai/%s\n"
             "%s"
             "      vertex_credentials: %s\n", model, params, path);
}

static void
vertex_yaml(char *yaml, size_t size, const char *params, const char *path)
{
    vertex_model_yaml(yaml, size, "gemini-2.0-flash", params, path);
}

/* where a deployment's requests go */
static void
check_place(json_t *dep, const char *host, const char *base_path)
{
    CHECK_STR(json_string_value(json_object_get(dep, "host")), host);
    CHECK_STR(json_string_value(json_object_get(dep, "base_path")),
              base_path);
}

/* a deployment's endpoints, comma-separated */
static void
endpoints_of(json_t *dep, char *out, size_t size)
{
    size_t   i;
    json_t  *v;

    out[0] = '\0';
    json_array_foreach(json_object_get(dep, "endpoints"), i, v) {
        snprintf(out + strlen(out), size - strlen(out), "%s%s",
                 i ? "," : "", json_string_value(v));
    }
}

UNIT_TEST(test_compile)
{
    char         *pem, path[] = "/tmp/unit-vertex-XXXXXX", yaml[1024], eps[64];
    json_t       *sa, *dep, *dis, *acct;
    FILE         *f;
    int           fd;

    pem = new_key_pem();
    sa = json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "service_account",
                   "project_id", "file-project", "client_email", "sa@p",
                   "private_key", pem, "token_uri", "http://127.0.0.1:9/t");
    fd = mkstemp(path);
    f = fdopen(fd, "w");
    json_dumpf(sa, f, 0);
    fclose(f);

    /* a regional location, the project from litellm_params */
    vertex_yaml(yaml, sizeof(yaml), "      vertex_project: p1\n"
                "      vertex_location: europe-west4\n", path);
    dep = compile_one(yaml, &dis);
    CHECK(dis == NULL);
    check_place(dep, "europe-west4-aiplatform.googleapis.com",
                "/v1/projects/p1/locations/europe-west4/publishers/google");
    CHECK_STR(json_string_value(json_object_get(dep, "model")),
              "gemini-2.0-flash");
    CHECK_STR(json_string_value(json_object_get(dep, "api")), "vertex");
    CHECK_STR(json_string_value(json_object_get(dep, "auth")), "oauth2");
    acct = json_object_get(dep, "oauth2");
    CHECK_STR(json_string_value(json_object_get(acct, "client_email")),
              "sa@p");
    CHECK_STR(json_string_value(json_object_get(acct, "token_uri")),
              "http://127.0.0.1:9/t");
    CHECK_STR(json_string_value(json_object_get(acct, "scope")),
              "https://www.googleapis.com/auth/cloud-platform");
    CHECK(json_object_get(dep, "api_key") == NULL);
    json_decref(dep);

    /* "global", the project from the key file */
    vertex_yaml(yaml, sizeof(yaml), "      vertex_location: global\n", path);
    dep = compile_one(yaml, &dis);
    check_place(dep, "aiplatform.googleapis.com",
                "/v1/projects/file-project/locations/global/publishers/"
                "google");
    json_decref(dep);

    /* Claude: Anthropic's publisher and wire, the @version kept */
    vertex_model_yaml(yaml, sizeof(yaml), "claude-sonnet-4@20250514",
                      "      vertex_location: global\n", path);
    dep = compile_one(yaml, &dis);
    CHECK(dis == NULL);
    check_place(dep, "aiplatform.googleapis.com",
                "/v1/projects/file-project/locations/global/publishers/"
                "anthropic");
    CHECK_STR(json_string_value(json_object_get(dep, "model")),
              "claude-sonnet-4@20250514");
    CHECK_STR(json_string_value(json_object_get(dep, "api")),
              "vertex_anthropic");
    CHECK_STR(json_string_value(json_object_get(dep, "auth")), "oauth2");
    endpoints_of(dep, eps, sizeof(eps));
    CHECK_STR(eps, "chat,count_tokens");
    json_decref(dep);

    /* an embedding model: Google's publisher, embeddings only */
    vertex_model_yaml(yaml, sizeof(yaml), "text-embedding-005",
                      "      vertex_location: us-central1\n", path);
    dep = compile_one(yaml, &dis);
    check_place(dep, "us-central1-aiplatform.googleapis.com",
                "/v1/projects/file-project/locations/us-central1/"
                "publishers/google");
    CHECK_STR(json_string_value(json_object_get(dep, "api")), "vertex");
    endpoints_of(dep, eps, sizeof(eps));
    CHECK_STR(eps, "embeddings");
    json_decref(dep);

    /* a wildcard: every family with its base path, Claude's first */
    vertex_model_yaml(yaml, sizeof(yaml), "*",
                      "      vertex_location: us-central1\n", path);
    dep = compile_one(yaml, &dis);
    CHECK(dis == NULL);
    CHECK_STR(json_string_value(json_object_get(dep, "api")), "vertex");
    acct = json_object_get(dep, "families");
    CHECK(json_array_size(acct) >= 3);
    CHECK_STR(json_string_value(json_object_get(json_array_get(acct, 0),
              "prefix")), "claude-");
    CHECK_STR(json_string_value(json_object_get(json_array_get(acct, 0),
              "api")), "vertex_anthropic");
    CHECK_STR(json_string_value(json_object_get(json_array_get(acct, 0),
              "base_path")), "/v1/projects/file-project/locations/"
              "us-central1/publishers/anthropic");
    endpoints_of(json_array_get(acct, 0), eps, sizeof(eps));
    CHECK_STR(eps, "chat,count_tokens");
    dis = json_array_get(acct, json_array_size(acct) - 1);
    CHECK_STR(json_string_value(json_object_get(dis, "prefix")), "");
    CHECK_STR(json_string_value(json_object_get(dis, "base_path")),
              "/v1/projects/file-project/locations/us-central1/"
              "publishers/google");
    json_decref(dep);

    /* no location anywhere: disabled, saying what to set */
    vertex_yaml(yaml, sizeof(yaml), "", path);
    dep = compile_one(yaml, &dis);
    CHECK(dep == NULL);
    CHECK(dis != NULL && strstr(json_string_value(json_object_get(dis,
          "reason")), "no Vertex AI location: set litellm_params."
          "vertex_location or VERTEXAI_LOCATION") != NULL);
    json_decref(dis);

    unlink(path);
    json_decref(sa);
    free(pem);
}

UNIT_MAIN(test_base64url, test_claims, test_rs256, test_compile)
