from cme_runtime.settings import ServiceSettings


class ReviewSettings(ServiceSettings):
    service_name: str = "review"
    http_port: int = 8003
