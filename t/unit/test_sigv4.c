/*
 * AWS Signature Version 4 (llm_sigv4.c) against AWS's published SigV4 test
 * suite (aws-sig-v4-test-suite: credentials AKIDEXAMPLE /
 * wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, us-east-1, service "service",
 * 20150830T123600Z) and two Bedrock requests signed by botocore 1.43.11
 * (SigV4Auth, Debian's python3-botocore) as a second, independent signer.
 */

#include <string.h>

#include "llm_sigv4.h"
#include "unit.h"


#define SUITE_AUTH  "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/" \
                    "us-east-1/service/aws4_request, SignedHeaders=host;" \
                    "x-amz-date, Signature="
#define EMPTY_SHA   "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495" \
                    "991b7852b855"


static const llm_sigv4_creds_t  suite_creds = {
    "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL,
    "us-east-1", "service"
};


typedef struct {
    const char  *name, *method, *path, *query, *signature;
} suite_vector_t;

/* test name, request line's method/path/query, header-signature.txt */
static const suite_vector_t  suite[] = {
    { "get-vanilla", "GET", "/", NULL,
      "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },
    { "get-vanilla-query-order-key-case", "GET", "/",
      "Param2=value2&Param1=value1",
      "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500" },
    { "get-utf8", "GET", "/\xe1\x88\xb4", NULL,
      "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85" },
    { "post-vanilla", "POST", "/", NULL,
      "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b" },
    { "post-vanilla-query", "POST", "/", "Param1=value1",
      "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11" },
};


UNIT_TEST(aws_test_suite)
{
    size_t           i;
    char             auth[512], want[512];
    llm_sigv4_req_t  r;

    for (i = 0; i < sizeof(suite) / sizeof(suite[0]); i++) {
        r.method = suite[i].method;
        r.host = "example.amazonaws.com";
        r.path = suite[i].path;
        r.query = suite[i].query;
        r.amz_date = "20150830T123600Z";
        r.payload_hash = EMPTY_SHA;

        snprintf(want, sizeof(want), SUITE_AUTH "%s", suite[i].signature);
        CHECK(llm_sigv4_authorization(&suite_creds, &r, auth, sizeof(auth))
              == (int) strlen(want));
        unit_current = suite[i].name;
        CHECK_STR(auth, want);
    }
}


/* get-vanilla's header-canonical-request.txt, byte for byte */
UNIT_TEST(canonical_request)
{
    char             *creq;
    llm_sigv4_req_t   r = { "GET", "example.amazonaws.com", "/", NULL,
                            "20150830T123600Z", EMPTY_SHA };

    creq = llm_sigv4_canonical_request(&suite_creds, &r);
    CHECK_STR(creq, "GET\n/\n\nhost:example.amazonaws.com\n"
                    "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
                    EMPTY_SHA);
    free(creq);

    /* the query sorted, a bare name signed as "name=" */
    r.query = "b=2&a&A=0";
    creq = llm_sigv4_canonical_request(&suite_creds, &r);
    CHECK(creq != NULL && strstr(creq, "\n/\nA=0&a=&b=2\n") != NULL);
    free(creq);
}


/* AWS's "deriving the signing key" example (20120215, us-east-1, iam) */
UNIT_TEST(signing_key)
{
    unsigned char      key[32];
    char               hex[65];
    size_t             i;
    llm_sigv4_creds_t  c = { "AKIDEXAMPLE",
                             "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                             NULL, "us-east-1", "iam" };

    llm_sigv4_signing_key(&c, "20120215T000000Z", key);
    for (i = 0; i < 32; i++) {
        snprintf(hex + 2 * i, 3, "%02x", key[i]);
    }
    CHECK_STR(hex, "f4780e2d9f65fa895f9c67b32ce1baf0"
                   "b0d8a43505a000a1a9e090d414db404d");
}


/*
 * A Converse call as the module sends it: the model id's ':' is %3A on the
 * request line and %253A in the canonical URI; with and without a session
 * token.  Expected values from botocore's SigV4Auth for the same request.
 */
UNIT_TEST(bedrock_like_botocore)
{
    char               auth[512], hash[65];
    static const char  body[] =
        "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"hi\"}]}]}";
    llm_sigv4_creds_t  c = { "AKIDEXAMPLE",
                             "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                             NULL, "us-west-2", "bedrock" };
    llm_sigv4_req_t    r = { "POST",
                             "bedrock-runtime.us-west-2.amazonaws.com",
                             "/model/anthropic.claude-3-5-sonnet-20240620-"
                             "v1%3A0/converse", NULL, "20261207T040000Z",
                             hash };

    llm_sigv4_sha256_hex(body, sizeof(body) - 1, hash);

    CHECK(llm_sigv4_authorization(&c, &r, auth, sizeof(auth)) > 0);
    CHECK_STR(auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261207/"
                    "us-west-2/bedrock/aws4_request, SignedHeaders=host;"
                    "x-amz-date, Signature=145d3a52b7685a5d36a24ee0c29152df"
                    "4e050788ccf242c65c23eaacbcf14328");

    c.session_token = "FQoGZXIvYXdzEXAMPLETOKEN//+=";
    CHECK(llm_sigv4_authorization(&c, &r, auth, sizeof(auth)) > 0);
    CHECK_STR(auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261207/"
                    "us-west-2/bedrock/aws4_request, SignedHeaders=host;"
                    "x-amz-date;x-amz-security-token, Signature="
                    "2e7eb160e64eebc66207541ee7131d12edb0bd978283af5e04101c"
                    "2aeb401c0d");

    /* too small a buffer is an error, not a truncated header */
    CHECK(llm_sigv4_authorization(&c, &r, auth, 40) == -1);
}


UNIT_TEST(amz_date)
{
    char  d[LLM_SIGV4_DATE_LEN + 1];

    llm_sigv4_amz_date(1440938160, d);
    CHECK_STR(d, "20150830T123600Z");
}


UNIT_MAIN(aws_test_suite, canonical_request, signing_key,
          bedrock_like_botocore, amz_date)
