-- wrk script for benches/web.sh: one valid offer per request, each with its own contact
-- address (the opt-in email is limited per address and hour), with the CSRF cookie and
-- token read once from GET /submit.
local csrf_token = os.getenv("CSRF_TOKEN")
local csrf_cookie = os.getenv("CSRF_COOKIE")
local run = os.getenv("RUN") or "1"
local threads = 0
local counter = 0

function setup(thread)
    threads = threads + 1
    thread:set("thread_number", threads)
end

function init(args)
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
    wrk.headers["Cookie"] = "mobmatch_csrf=" .. csrf_cookie
end

function request()
    counter = counter + 1
    local address = "bench-r" .. run .. "-t" .. thread_number .. "-" .. counter .. "%40school.example"
    local body = "csrf=" .. csrf_token
        .. "&role=receiving&organisation=Bench+school&contact_name=Anna+Berg"
        .. "&contact_email=" .. address
        .. "&region=ES21&mobility_type=vet_learner&fields=0713&fields=0715&participants=4"
        .. "&inclusion_support=yes&earliest_start=2027-03-01&latest_end=2027-06-30"
        .. "&duration=10-30&languages=en&languages=es&notes=Workshops+in+English"
    return wrk.format(nil, nil, nil, body)
end
